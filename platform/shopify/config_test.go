package shopify

import (
	"testing"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform"
)

// The Shopify keys of a config file reach the platform in the shapes it
// takes: a bool written false stays false (not unset), a list keeps its
// entries, and ${VAR} is expanded.
func TestReadConfigFromAFile(t *testing.T) {
	t.Parallel()
	src := `
adapters:
  - id: acme-shop
    platform: shopify
    secrets: ["shopify-client-secret-0123456789"]
    shop: acme.myshopify.com
    relay_secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "${RELAY}"]
    api: {base_url: "https://acme.myshopify.com", token: shpat_x, version: "2026-01"}
    policy: {restock: false, notify_customer: true, refund: store_credit}
`
	env := func(k string) (string, bool) { return "whsec_c2Vjb25k", k == "RELAY" }
	cfg, err := config.Parse([]byte(src), platform.Registry{Platform.Name: Platform}, env)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := readConfig(cfg.Adapters[0].Settings().Block)
	if len(errs) != 0 {
		t.Fatalf("problems: %v", errs)
	}
	if c.shop != "acme.myshopify.com" || c.version != "2026-01" || c.restock == nil || *c.restock ||
		c.notifyCustomer == nil || !*c.notifyCustomer || c.refund != "store_credit" ||
		len(c.relaySecrets) != 2 || c.relaySecrets[1] != "whsec_c2Vjb25k" {
		t.Errorf("read %+v", c)
	}
}
