package shopify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify"
)

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{
		"shpss_0123456789abcdef": true,
		"0123456789abcdef":       true, // 16
		"0123456789abcde":        false,
		strings.Repeat("a", 256): true,
		strings.Repeat("a", 257): false,
		// "any string of 16–256 printable characters" (docs/API.md): the
		// ASCII space and non-ASCII letters are printable; length counts
		// characters, not bytes.
		"0123456789 abcdef":           true,
		"0123456789abcdef\u00e9":      true,
		strings.Repeat("\u00e9", 16):  true,
		strings.Repeat("\u00e9", 15):  false, // 30 bytes, 15 characters
		strings.Repeat("\u00e9", 256): true,
		strings.Repeat("\u00e9", 257): false,
		"0123456789abcdef\t":          false,
		"0123456789abcdef\n":          false,
		"0123456789abcdef\x7f":        false,
		"0123456789abcdef\u00a0":      false, // no-break space: not printable
		"0123456789abcdef\xff":        false, // not UTF-8
		// Certainly pasted in the wrong place: a Standard Webhooks secret
		// (Shopify never signs with one) and an Admin API access token.
		"whsec_MfKQ9r8GKYqrTwjUPD":           false,
		"shpat_0123456789abcdef0123456789ab": false,
	} {
		if err := shopify.CheckSecret(s); (err == nil) != ok {
			t.Errorf("CheckSecret(%q) = %v, want ok %v", s, err, ok)
		}
		if err := shopify.CheckSecret(s); err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("message quotes the secret: %v", err)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	good := platform.Settings{API: platform.API{Token: "shpat_x"}, Block: platform.BlockOf(map[string]any{
		"shop": "acme-store.myshopify.com", "api.version": "2026-04", "relay_secrets": []string{"whsec_c2Vjb25k"},
	})}
	if errs := shopify.Check(good); len(errs) != 0 {
		t.Errorf("Check(good) = %v", errs)
	}
	bad := platform.Settings{
		StorefrontSecrets: []string{"k"},
		Block: platform.BlockOf(map[string]any{
			"shop": "https://acme.myshopify.com", "api.version": "2026-05", "api.consumer_key": "ck",
			"relay_secrets": []string{"nope"}, "policy.refund": "cash", "policy.status_map": map[string]string{"a": "b"},
		}),
		Windows: platform.Windows{ResponseWindow: time.Hour},
	}
	want := []string{"shop", "api.token", "api.version", "relay_secrets[0]", "policy.refund", "policy.response_window", "api.consumer_key", "policy.status_map", "storefront_secrets"}
	errs := shopify.Check(bad)
	got := make([]string, len(errs))
	for i, e := range errs {
		got[i] = e.Field
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if errs := shopify.Check(platform.Settings{API: platform.API{Token: "t"}}); len(errs) != 1 || errs[0].Field != "shop" {
		t.Errorf("missing shop: %v", errs)
	}
}

// /cancellations exists only with relay_secrets.
func TestEndpoints(t *testing.T) {
	t.Parallel()
	s := platform.Settings{Secrets: []string{"shpss_0123456789abcdef"}, Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com"})}
	in, err := shopify.Endpoints(s)
	if err != nil || in[platform.KindOrders] == nil || in[platform.KindCancellations] != nil {
		t.Fatalf("without relay_secrets: %v, %v", in, err)
	}
	a, err := shopify.Platform.New(s)
	if err != nil || len(a.StorefrontSecrets) != 1 || a.StorefrontSecrets[0] != s.Secrets[0] {
		t.Errorf("adapter storefront keys %v (%v): want the app secret", a.StorefrontSecrets, err)
	}
	// The shop reaches the buyer-token check.
	if id, err := a.BuyerClaims.Buyer("gid://shopify/Customer/7", map[string]any{"dest": "https://acme.myshopify.com"}); err != nil || id != "7" {
		t.Errorf("buyer of a token for the adapter's shop = %q, %v", id, err)
	}
	s.Block = platform.BlockOf(map[string]any{"shop": "acme.myshopify.com", "relay_secrets": []string{"whsec_c2Vjb25k"}})
	if in, err = shopify.Endpoints(s); err != nil || in[platform.KindCancellations] == nil {
		t.Fatalf("with relay_secrets: %v, %v", in, err)
	}
}
