package webhooks

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/platform/shopify"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// Every refusal of a real platform's verifier is logged with the check that
// failed, while the sender's answer stays "invalid signature" or "invalid
// timestamp" and says nothing more.
func TestIngestRefusalReasonIsLoggedNotAnswered(t *testing.T) {
	t.Parallel()
	const (
		shopSecret  = "shpss_refusal-test-secret"
		relaySecret = "whsec_Y2FuY2Vsc3luYy1yb3RhdGlvbi10ZXN0LWtleS0zMmI="
		seedSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		wooSecret   = "woo-refusal-test-secret"
		shop        = "acme.myshopify.com"
	)
	reg := registry.Default()
	build := func(platform string, s platform.Settings) *platform.Adapter {
		t.Helper()
		a, err := reg[platform].New(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	configured := map[string]*platform.Adapter{
		"shop": build("shopify", platform.Settings{ID: "shop", Secrets: []string{shopSecret},
			API: platform.API{Token: "shpat_x"}, Block: platform.BlockOf(map[string]any{"shop": shop, "relay_secrets": []string{relaySecret}})}),
		"shop-bare": build("shopify", platform.Settings{ID: "shop-bare", Secrets: []string{shopSecret},
			API: platform.API{Token: "shpat_x"}, Block: platform.BlockOf(map[string]any{"shop": shop})}),
		"woo": build("woocommerce", platform.Settings{ID: "woo", Secrets: []string{wooSecret},
			Block: platform.BlockOf(map[string]any{"api.consumer_key": "ck", "api.consumer_secret": "cs"})}),
		"posh": build("poshmark", platform.Settings{ID: "posh", Secrets: []string{seedSecret}}),
	}
	b := setup(t, func(o *Options) { o.Adapters = configured })

	body := []byte(`{"id":820982911946154508}`)
	shopHeaders := func(secret, domain string) http.Header {
		return http.Header{
			"X-Shopify-Hmac-Sha256": {shopify.Sign(secret, body)},
			"X-Shopify-Webhook-Id":  {"b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
			"X-Shopify-Shop-Domain": {domain},
			"X-Shopify-Topic":       {"orders/updated"},
		}
	}
	seedHeaders := func(secret string, at time.Time) http.Header {
		sig, err := standardwebhooks.Sign(secret, "msg_1", at, body)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {strconv.FormatInt(at.Unix(), 10)}, "Webhook-Signature": {sig}}
	}
	without := func(h http.Header, key string) http.Header { h.Del(key); return h }

	tests := []struct {
		name, path     string
		header         http.Header
		status         int
		detail         string // the answer's
		reason, logged string // the log line's
	}{
		{"shopify wrong shop domain", "/webhooks/shop/orders", shopHeaders(shopSecret, "other.myshopify.com"),
			401, "invalid signature", "shop_domain_mismatch", "X-Shopify-Shop-Domain"},
		{"shopify wrong secret", "/webhooks/shop/orders", shopHeaders("shpss_wrong", shop),
			401, "invalid signature", "signature_mismatch", "X-Shopify-Hmac-Sha256"},
		{"shopify unsigned", "/webhooks/shop/orders", without(shopHeaders(shopSecret, shop), "X-Shopify-Hmac-Sha256"),
			401, "invalid signature", "missing_header", "X-Shopify-Hmac-Sha256"},
		{"shopify webhook on the relay endpoint", "/webhooks/shop/cancellations", shopHeaders(shopSecret, shop),
			401, "invalid signature", "wrong_endpoint", ""},
		{"shopify without relay secrets", "/webhooks/shop-bare/cancellations", shopHeaders(shopSecret, shop),
			404, "this adapter has no cancellations endpoint", "no_endpoint", ""},
		{"unknown adapter", "/webhooks/nope/orders", shopHeaders(shopSecret, shop),
			404, "no adapter with this id", "unknown_adapter", ""},
		{"woocommerce wrong secret", "/webhooks/woo/orders",
			http.Header{"X-Wc-Webhook-Signature": {woocommerce.Sign("wrong", body)}, "X-Wc-Webhook-Id": {"12"}},
			401, "invalid signature", "signature_mismatch", "X-WC-Webhook-Signature"},
		{"woocommerce no id", "/webhooks/woo/orders",
			http.Header{"X-Wc-Webhook-Signature": {woocommerce.Sign(wooSecret, body)}},
			401, "invalid signature", "missing_header", "X-WC-Webhook-ID"},
		{"standard webhooks wrong secret", "/webhooks/posh/orders", seedHeaders(relaySecret, b.now),
			401, "invalid signature", "signature_mismatch", "webhook-signature"},
		{"standard webhooks stale", "/webhooks/posh/orders", seedHeaders(seedSecret, b.now.Add(-time.Hour)),
			401, "invalid timestamp", "stale_timestamp", "webhook-timestamp"},
		{"standard webhooks from the future", "/webhooks/posh/orders", seedHeaders(seedSecret, b.now.Add(time.Hour)),
			401, "invalid timestamp", "future_timestamp", "webhook-timestamp"},
		{"standard webhooks no id", "/webhooks/posh/orders", without(seedHeaders(seedSecret, b.now), "Webhook-Id"),
			401, "invalid signature", "missing_header", "webhook-id"},
	}
	for _, tc := range tests {
		before := len(b.logs.String())
		resp, answer := b.post(t, webhook{Path: tc.path, Body: string(body), Unsigned: true, Header: tc.header})
		var p struct {
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(answer, &p); err != nil || resp.StatusCode != tc.status || p.Detail != tc.detail {
			t.Errorf("%s: answer %d %s, want %d with detail %q", tc.name, resp.StatusCode, answer, tc.status, tc.detail)
		}
		if strings.Contains(string(answer), tc.reason) || (tc.logged != "" && strings.Contains(string(answer), tc.logged)) {
			t.Errorf("%s: the answer reveals the reason: %s", tc.name, answer)
		}
		line := strings.TrimSpace(b.logs.String()[before:])
		var rec struct{ Reason, Header string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: log line %q: %v", tc.name, line, err)
		}
		if rec.Reason != tc.reason || rec.Header != tc.logged {
			t.Errorf("%s: logged reason=%q header=%q, want %q %q: %s", tc.name, rec.Reason, rec.Header, tc.reason, tc.logged, line)
		}
		for _, secret := range []string{shopSecret, relaySecret, seedSecret, wooSecret} {
			if strings.Contains(line, secret) {
				t.Errorf("%s: log leaks a secret: %s", tc.name, line)
			}
		}
	}
}
