package config

import (
	"strings"
	"testing"
)

// A merchant token sees only its adapter (docs/API.md §10): one that equals
// admin_token would see every adapter, so the config is refused, naming the
// key and never quoting the token.
func TestMerchantTokenMustDifferFromAdminToken(t *testing.T) {
	t.Parallel()
	src := `
admin_token: "${ADMIN}"
adapters:
  - id: acme-posh
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    merchant_tokens: ["merchant-only-0123", "shared-admin-token-4567"]
    api: {base_url: "https://api.example.test", token: "tok"}
`
	env := func(k string) (string, bool) {
		if k == "ADMIN" {
			return "shared-admin-token-4567", true
		}
		return "", false
	}
	e := parseErr(t, src, env)
	if !hasProblem(e, "adapters[0].merchant_tokens[1]", "must differ from admin_token") {
		t.Errorf("no problem for the merchant token equal to admin_token in\n%s", e)
	}
	if hasProblem(e, "adapters[0].merchant_tokens[0]", "") {
		t.Errorf("a distinct merchant token is reported in\n%s", e)
	}
	if strings.Contains(e.Error(), "shared-admin-token-4567") {
		t.Errorf("the message quotes the token: %s", e)
	}
}

// A merchant token listed on two adapters is refused, naming the second key
// and the first, never quoting the token. Within one adapter a repeat is
// harmless and allowed.
func TestMerchantTokenSharedByTwoAdaptersIsRefused(t *testing.T) {
	t.Parallel()
	src := `
adapters:
  - id: a
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    merchant_tokens: ["shared-merchant-0123", "shared-merchant-0123"]
    api: {base_url: "https://api.example.test", token: "tok"}
  - id: b
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    merchant_tokens: ["own-token-b-0123", "shared-merchant-0123"]
    api: {base_url: "https://api.example.test", token: "tok"}
`
	e := parseErr(t, src, noEnv)
	if !hasProblem(e, "adapters[1].merchant_tokens[1]", "adapters[0].merchant_tokens[0]") {
		t.Errorf("no problem for the shared merchant token in\n%s", e)
	}
	if len(e.Problems) != 1 {
		t.Errorf("want exactly one problem, got\n%s", e)
	}
	if strings.Contains(e.Error(), "shared-merchant-0123") {
		t.Errorf("the message quotes the token: %s", e)
	}
}
