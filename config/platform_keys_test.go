package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
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
		{"adapters[0].policy.notify_customer", "must be true or false"},
		{"adapters[0].merchant_tokens[0]", "must not be empty"},
	} {
		if !hasProblem(e, p.Key, p.Message) {
			t.Errorf("no problem %s: %s in\n%s", p.Key, p.Message, e)
		}
	}
}

// Options decode into the shapes the platforms take: a map keeps its
// entries, a bool written false stays false (not unset).
func TestPolicyOptionsDecode(t *testing.T) {
	t.Parallel()
	var a Adapter
	d := decoder{getenv: noEnv, given: map[string]bool{}}
	root, err := parseDocument([]byte("policy: {restock: false, notify_customer: true, refund: store_credit, status_map: {shipped: shipped, \"wc-ready\": paid}}\nrelay_secrets: [a, b]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d.decode(root, reflect.ValueOf(&a).Elem(), "adapters[0]")
	if len(d.problems) != 0 {
		t.Fatalf("problems: %v", d.problems)
	}
	p := a.Policy
	if p.Restock == nil || *p.Restock || p.NotifyCustomer == nil || !*p.NotifyCustomer || p.Refund != "store_credit" ||
		len(p.StatusMap) != 2 || p.StatusMap["wc-ready"] != "paid" || len(a.RelaySecrets) != 2 {
		t.Errorf("decoded %+v", a)
	}
	o := a.Settings().Options
	*o.Restock = true
	if *a.Policy.Restock {
		t.Error("Settings shares the Restock pointer with the config")
	}
}

// Every new secret and token is masked when a config is shown.
func TestRedactedPlatformSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"relay-SEKRIT-1", "sf-SEKRIT-2", "mt-SEKRIT-3", "ck-SEKRIT-4", "cs-SEKRIT-5"}
	c := &Config{Adapters: []Adapter{{
		ID: "a", Platform: "woocommerce", RelaySecrets: []string{secrets[0]}, StorefrontSecrets: []string{secrets[1]},
		MerchantTokens: []string{secrets[2]}, API: API{ConsumerKey: secrets[3], ConsumerSecret: secrets[4]},
	}}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "config", c, "redacted", c.Redacted())
	for _, s := range secrets {
		if strings.Contains(buf.String(), s) {
			t.Errorf("log shows %q: %s", s, buf.String())
		}
	}
	if c.Adapters[0].RelaySecrets[0] != secrets[0] {
		t.Error("Redacted wrote through to the original")
	}
}
