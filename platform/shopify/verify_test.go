package shopify

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

const (
	testShop   = "acme.myshopify.com"
	testSecret = "shpss_0123456789abcdef0123456789abcdef"
)

func mustInbound(t testing.TB, shop string, secrets ...string) inbound {
	t.Helper()
	in, err := newInbound(secrets, shop)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// signed is the headers Shopify puts on body for testShop.
func signed(secret string, body []byte, topic string) http.Header {
	h := http.Header{}
	h.Set("X-Shopify-Hmac-Sha256", Sign(secret, body))
	h.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
	h.Set("X-Shopify-Shop-Domain", testShop)
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Api-Version", DefaultAPIVersion)
	return h
}

// The HMAC example of Shopify's own library (testdata/SOURCE.md) passes,
// and its topic is then ignored: verification comes first.
func TestShopifyAPIJSExample(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/shopify_api_js_validate_body.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Sign("test_secret_key", body), "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="; got != want {
		t.Fatalf("Sign = %s, want the library's %s", got, want)
	}
	in := mustInbound(t, "shop1.myshopify.io", "test_secret_key")
	h := http.Header{
		"X-Shopify-Topic":       {"products/create"},
		"X-Shopify-Hmac-Sha256": {"B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="},
		"X-Shopify-Shop-Domain": {"shop1.myshopify.io"},
		"X-Shopify-Webhook-Id":  {"123456789"},
		"X-Shopify-Api-Version": {"2023-01"},
	}
	id, err := in.Verify(h, body, time.Time{})
	if err != nil || id != "123456789" {
		t.Fatalf("Verify = %q, %v; want 123456789", id, err)
	}
	if _, err := in.Decode(platform.KindOrders, h, body); !errors.Is(err, platform.ErrIgnored) {
		t.Fatalf("Decode(products/create) = %v, want ErrIgnored", err)
	}
	// One byte changed, or the wrong secret: refused.
	if _, err := in.Verify(h, []byte(`{"foo": "baz"}`), time.Time{}); !errors.Is(err, platform.ErrSignature) {
		t.Errorf("tampered body: %v", err)
	}
	if _, err := mustInbound(t, "shop1.myshopify.io", "test_secret_kez").Verify(h, body, time.Time{}); !errors.Is(err, platform.ErrSignature) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":820982911946154508}`)
	old := "shpss_old_secret_0123456789abcdef"
	in := mustInbound(t, testShop, testSecret, old)
	tests := []struct {
		name   string
		header func() http.Header
		wantID string // "" → ErrSignature
	}{
		{"signed", func() http.Header { return signed(testSecret, body, "orders/create") }, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
		{"rotated: the old secret still verifies", func() http.Header { return signed(old, body, "orders/create") }, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
		{"unprefixed lower-case names, map built by hand", func() http.Header {
			return http.Header{
				"shopify-hmac-sha256": {Sign(testSecret, body)}, "shopify-webhook-id": {"w-1"},
				"shopify-shop-domain": {testShop}, "shopify-topic": {"orders/create"},
			}
		}, "w-1"},
		{"unprefixed, canonical", func() http.Header {
			h := http.Header{}
			h.Set("shopify-hmac-sha256", Sign(testSecret, body))
			h.Set("shopify-webhook-id", "w-2")
			h.Set("shopify-shop-domain", "ACME.myshopify.com")
			return h
		}, "w-2"},
		{"wrong secret", func() http.Header { return signed("shpss_someone_else_0123456789", body, "orders/create") }, ""},
		{"no hmac", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Del("X-Shopify-Hmac-Sha256")
			return h
		}, ""},
		{"hmac not base64", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Set("X-Shopify-Hmac-Sha256", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=")
			return h
		}, ""},
		{"hex hmac", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Set("X-Shopify-Hmac-Sha256", "40dc8e6d394a6ccc76a8394f17f64e65c06a8393a03e0fb6a24cb7ce575cd06c")
			return h
		}, ""},
		{"no webhook id", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Del("X-Shopify-Webhook-Id")
			return h
		}, ""},
		{"webhook id with a space", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Set("X-Shopify-Webhook-Id", "a b")
			return h
		}, ""},
		{"another shop", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Set("X-Shopify-Shop-Domain", "evil.myshopify.com")
			return h
		}, ""},
		{"no shop", func() http.Header {
			h := signed(testSecret, body, "orders/create")
			h.Del("X-Shopify-Shop-Domain")
			return h
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := in.Verify(tt.header(), body, time.Time{})
			if tt.wantID == "" {
				if !errors.Is(err, platform.ErrSignature) || id != "" {
					t.Fatalf("Verify = %q, %v; want ErrSignature", id, err)
				}
				return
			}
			if err != nil || id != tt.wantID {
				t.Fatalf("Verify = %q, %v; want %q", id, err, tt.wantID)
			}
		})
	}
}

func BenchmarkVerifyDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/orders_cancelled_sample.json")
	if err != nil {
		b.Fatal(err)
	}
	in := mustInbound(b, testShop, testSecret)
	h := signed(testSecret, body, "orders/updated")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(h, body, time.Time{}); err != nil {
			b.Fatal(err)
		}
		if _, err := in.Decode(platform.KindOrders, h, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	body, err := os.ReadFile("testdata/orders_cancelled_sample.json")
	if err != nil {
		b.Fatal(err)
	}
	in := mustInbound(b, testShop, testSecret)
	h := signed(testSecret, body, "orders/updated")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Verify(h, body, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/orders_cancelled_sample.json")
	if err != nil {
		b.Fatal(err)
	}
	in := mustInbound(b, testShop, testSecret)
	h := signed(testSecret, body, "orders/updated")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Decode(platform.KindOrders, h, body); err != nil {
			b.Fatal(err)
		}
	}
}
