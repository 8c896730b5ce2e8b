package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scripts/post-webhook signs each platform's sample body from
// docs/examples/webhooks the way that platform does, and the real binary on
// the shipped cancelsync.yaml takes it: 202, then 200 duplicate for the same
// delivery, 401 under another secret, and the order stored as the sample says.
func TestPostWebhookSignsEveryPlatform(t *testing.T) {
	t.Parallel()
	// The samples are the published ones the adapters' tests use.
	for sample, fixture := range map[string]string{
		"shopify-orders-cancelled.json": "../platform/shopify/testdata/orders_cancelled_sample.json",
		"woocommerce-order-727.json":    "../platform/woocommerce/testdata/order_retrieve_727.json",
	} {
		if !bytes.Equal(must(os.ReadFile("../docs/examples/webhooks/"+sample)), must(os.ReadFile(fixture))) {
			t.Errorf("docs/examples/webhooks/%s differs from %s", sample, fixture)
		}
	}

	cfg := string(must(os.ReadFile("../cancelsync.yaml")))
	listen := freeAddr(t)
	cfg = strings.Replace(cfg, `listen: "127.0.0.1:8080"`, `listen: "`+listen+`"`, 1)
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, "serve", path, listen)

	statusRE := regexp.MustCompile(`(?m)^HTTP/1\.1 (\d{3})`)
	post := func(env []string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command("scripts/post-webhook", args...)
		cmd.Dir = ".."
		cmd.Env = append(append(os.Environ(), "CANCELSYNC_URL="+s.url), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("post-webhook %v: %v\n%s", args, err, out)
		}
		m := statusRE.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("post-webhook %v: no status\n%s", args, out)
		}
		return m[1], string(out)
	}
	tests := []struct {
		platform, adapter, kind, body, id string
		orderID, status                   string
	}{
		{"standard", "demo-posh", "orders", "standard-order.json", "msg_pw_1", "PM-10023", "paid"},
		{"standard", "demo-posh", "cancellations", "standard-cancellation.json", "msg_pw_2", "", ""},
		{"shopify", "demo-shop", "orders", "shopify-orders-cancelled.json", "pw-shop-1", "820982911946154508", "cancelled"},
		{"woocommerce", "demo-woo", "orders", "woocommerce-order-727.json", "17", "727", "paid"},
	}
	for _, tt := range tests {
		args := []string{"--platform", tt.platform, tt.adapter, tt.kind, "docs/examples/webhooks/" + tt.body, tt.id}
		if code, out := post(nil, args...); code != "202" {
			t.Errorf("%s %s: %s, want 202\n%s", tt.platform, tt.body, code, out)
		}
		if code, out := post(nil, args...); code != "200" || !strings.Contains(out, `"status":"duplicate"`) {
			t.Errorf("%s %s again: %s, want 200 duplicate\n%s", tt.platform, tt.body, code, out)
		}
		other := "SECRET=wrong-secret-0123456789abcdef"
		if tt.platform == "standard" {
			other = "SECRET=whsec_c2Vjb25kLXNlY3JldC0wMTIzNDU2Nzg5"
		}
		if code, out := post([]string{other}, args[:5]...); code != "401" {
			t.Errorf("%s %s under another secret: %s, want 401\n%s", tt.platform, tt.body, code, out)
		}
		if tt.orderID != "" {
			v := s.waitFor(t, tt.adapter, tt.orderID, "order stored", func(v map[string]any) bool { return v["order"] != nil })
			if got := field(v, "order", "status"); got != tt.status {
				t.Errorf("%s %s: order status %v, want %s", tt.adapter, tt.orderID, got, tt.status)
			}
		}
	}
}
