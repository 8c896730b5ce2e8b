package config

import (
	"strings"
	"testing"
)

// Secrets that are certainly wrong are refused, each with what to put
// there instead or how to make a good one; the message never quotes them.
func TestSecretsThatAreCertainlyWrong(t *testing.T) {
	t.Parallel()
	shopify := func(secret string) string {
		return `
adapters:
  - id: acme-shop
    platform: shopify
    shop: acme.myshopify.com
    secrets: ["` + secret + `"]
    api: {base_url: "https://acme.myshopify.com", token: "shpat_0123456789abcdef"}
`
	}
	posh := func(lines string) string {
		return `
adapters:
  - id: acme-posh
    platform: poshmark
    api: {base_url: "https://api.example.test"}
` + lines
	}
	tests := []struct {
		name, src, key string
		says           []string // each must be in the message
	}{
		{"shopify secret with whsec_", shopify(testSecret), "adapters[0].secrets[0]",
			[]string{"Standard Webhooks secret", "client secret", "relay_secrets"}},
		{"shopify secret that is an access token", shopify("shpat_0123456789abcdef0123456789ab"), "adapters[0].secrets[0]",
			[]string{"api.token", "client secret"}},
		{"storefront secret of 5 characters", posh(`    secrets: ["` + testSecret + `"]` + "\n" + `    storefront_secrets: ["abcde"]` + "\n"),
			"adapters[0].storefront_secrets[0]", []string{"at least 32 bytes", "openssl rand -base64 32"}},
		{"storefront secret of 31 bytes", posh(`    secrets: ["` + testSecret + `"]` + "\n" + `    storefront_secrets: ["` + strings.Repeat("k", 31) + `"]` + "\n"),
			"adapters[0].storefront_secrets[0]", []string{"at least 32 bytes"}},
		{"standard webhooks secret without whsec_", posh(`    secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]` + "\n"),
			"adapters[0].secrets[0]", []string{`"whsec_"`, `openssl rand -base64 32`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := parseErr(t, tt.src, noEnv)
			var msg string
			for _, p := range e.Problems {
				if p.Key == tt.key {
					msg = p.Message
				}
			}
			if msg == "" {
				t.Fatalf("no problem at %s in\n%s", tt.key, e)
			}
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("%s: %q does not say %q", tt.key, msg, s)
				}
			}
			if strings.Contains(e.Error(), "abcde") || strings.Contains(e.Error(), "shpat_0123456789abcdef0123456789ab") || strings.Contains(e.Error(), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") {
				t.Errorf("the message quotes a secret:\n%s", e)
			}
		})
	}

	// A good key of each kind still passes.
	if _, err := Parse([]byte(shopify("shpss_0123456789abcdef0123456789abcdef")), testPlatforms, noEnv); err != nil {
		t.Errorf("a Shopify client secret: %v", err)
	}
	if _, err := Parse([]byte(posh(`    secrets: ["`+testSecret+`"]`+"\n"+`    storefront_secrets: ["`+strings.Repeat("k", 32)+`"]`+"\n")), testPlatforms, noEnv); err != nil {
		t.Errorf("a 32-byte storefront key: %v", err)
	}
}
