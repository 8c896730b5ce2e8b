package woocommerce

import (
	"testing"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform"
)

// The WooCommerce keys of a config file reach the platform: the REST keys
// and a status map that keeps its entries.
func TestReadConfigFromAFile(t *testing.T) {
	t.Parallel()
	src := `
adapters:
  - id: acme-woo
    platform: woocommerce
    secrets: ["any printable text"]
    relay_secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_c2Vjb25k]
    api: {base_url: "https://shop.acme.example", consumer_key: ck_0123, consumer_secret: cs_4567}
    policy: {status_map: {shipped: shipped, ready_2: paid}}
`
	cfg, err := config.Parse([]byte(src), platform.Registry{Platform.Name: Platform}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := readConfig(cfg.Adapters[0].Settings().Block)
	if len(errs) != 0 {
		t.Fatalf("problems: %v", errs)
	}
	if c.consumerKey != "ck_0123" || c.consumerSecret != "cs_4567" || len(c.relaySecrets) != 2 ||
		len(c.statusMap) != 2 || c.statusMap["ready_2"] != "paid" {
		t.Errorf("read %+v", c)
	}
}
