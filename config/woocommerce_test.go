package config

import "testing"

// A WooCommerce adapter loads with its REST keys and status map, and the
// problems it owns are reported under the adapter's key path.
func TestWooCommerceKeys(t *testing.T) {
	t.Parallel()
	src := `
adapters:
  - id: acme-woo
    platform: woocommerce
    secrets: ["any printable text, spaces & all"]
    relay_secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    api:
      base_url: "https://shop.acme.example"
      consumer_key: ck_0123
      consumer_secret: cs_4567
    policy:
      response_window: 24h
      status_map: {shipped: shipped}
`
	cfg, err := Parse([]byte(src), testPlatforms, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Adapters[0].Settings()
	r := s.Block.Read()
	if r.String("api.consumer_key") != "ck_0123" || r.String("api.consumer_secret") != "cs_4567" || r.StringMap("policy.status_map")["shipped"] != "shipped" {
		t.Errorf("Settings() = %+v", s)
	}

	bad := `
adapters:
  - id: acme-woo
    platform: woocommerce
    secrets: ["tab\there"]
    api:
      base_url: "https://shop.acme.example"
      token: "tok"
    policy:
      status_map: {processing: paid, ready: refunded}
`
	e := parseErr(t, bad, noEnv)
	for _, p := range []Problem{
		{"adapters[0].secrets[0]", "printable"},
		{"adapters[0].api.consumer_key", "is required"},
		{"adapters[0].api.consumer_secret", "is required"},
		{"adapters[0].policy.status_map.processing", "core status"},
		{"adapters[0].policy.status_map.ready", "must be one of"},
	} {
		if !hasProblem(e, p.Key, p.Message) {
			t.Errorf("no problem %s: %s in\n%s", p.Key, p.Message, e)
		}
	}
}
