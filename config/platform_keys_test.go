package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cancelsync/cancelsync/platform"
)

// The keys of docs/API.md §2's per-platform table reach the platform's Settings,
// and a platform refuses the keys it does not use.
func TestPlatformKeys(t *testing.T) {
	t.Parallel()
	src := `
adapters:
  - id: acme-posh
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    storefront_secrets: ["sf-key-0123456789abcdef0123456789"]
    merchant_tokens: ["mt-posh-0123456789"]
    api:
      base_url: "https://api.example.test"
    policy:
      cancel_window: 2h
`
	cfg, err := Parse([]byte(src), testPlatforms, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Adapters[0].Settings()
	if len(s.StorefrontSecrets) != 1 || s.StorefrontSecrets[0] != "sf-key-0123456789abcdef0123456789" ||
		len(s.MerchantTokens) != 1 || s.MerchantTokens[0] != "mt-posh-0123456789" || s.Windows.CancelWindow.Hours() != 2 {
		t.Errorf("Settings() = %+v", s)
	}

	bad := `
adapters:
  - id: acme-posh
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    shop: acme.myshopify.com
    relay_secrets: ["whsec_c2Vjb25k"]
    merchant_tokens: [""]
    api:
      base_url: "https://api.example.test"
      consumer_key: ck_1
    policy:
      restock: false
      status_map: {shipped: shipped}
      notify_customer: maybe
`
	e := parseErr(t, bad, noEnv)
	for _, p := range []Problem{
		{"adapters[0].shop", "is not used by this platform"},
		{"adapters[0].relay_secrets", "is not used by this platform"},
		{"adapters[0].api.consumer_key", "is not used by this platform"},
		{"adapters[0].policy.restock", "is not used by this platform"},
		{"adapters[0].policy.status_map", "is not used by this platform"},
		{"adapters[0].policy.notify_customer", "is not used by this platform"},
		{"adapters[0].merchant_tokens[0]", "must not be empty"},
	} {
		if !hasProblem(e, p.Key, p.Message) {
			t.Errorf("no problem %s: %s in\n%s", p.Key, p.Message, e)
		}
	}
}

// A platform's own key of the wrong shape is refused by that platform,
// under the adapter's key path.
func TestPlatformKeyOfTheWrongShape(t *testing.T) {
	t.Parallel()
	bad := `
adapters:
  - id: acme-shop
    platform: shopify
    secrets: ["shopify-client-secret-0123456789"]
    shop: acme.myshopify.com
    api: {base_url: "https://acme.myshopify.com", token: shpat_x}
    policy: {notify_customer: maybe, refund: [a]}
`
	e := parseErr(t, bad, noEnv)
	for _, p := range []Problem{
		{"adapters[0].policy.notify_customer", "must be true or false"},
		{"adapters[0].policy.refund", "must be a string"},
	} {
		if !hasProblem(e, p.Key, p.Message) {
			t.Errorf("no problem %s: %s in\n%s", p.Key, p.Message, e)
		}
	}
}

// Every new secret and token is masked when a config is shown.
func TestRedactedPlatformSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"relay-SEKRIT-1", "sf-SEKRIT-2", "mt-SEKRIT-3", "ck-SEKRIT-4", "cs-SEKRIT-5"}
	own := map[string]*yaml.Node{}
	for k, v := range map[string]any{"relay_secrets": []string{secrets[0]}, "api.consumer_key": secrets[3], "api.consumer_secret": secrets[4]} {
		var n yaml.Node
		if err := n.Encode(v); err != nil {
			t.Fatal(err)
		}
		own[k] = &n
	}
	c := &Config{Adapters: []Adapter{{
		ID: "a", Platform: "woocommerce", StorefrontSecrets: []string{secrets[1]},
		MerchantTokens: []string{secrets[2]}, Own: platform.NewBlock(own, testPlatforms["woocommerce"].Keys, nil),
	}}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "config", c, "redacted", c.Redacted())
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) {
			t.Errorf("log shows %q: %s", s, buf.String())
		}
	}
	if relay := c.Adapters[0].Own.Read().Strings("relay_secrets"); len(relay) != 1 || relay[0] != secrets[0] {
		t.Error("Redacted wrote through to the original")
	}
}
