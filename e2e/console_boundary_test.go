package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

// TestConsoleBoundaryOnTheBinary: a Shopify adapter's console page and its
// twins show what the poll and the live checks recorded, on the real
// binary; the merchant presses Connect in a browser and Shopify gets the
// six subscriptions; the twin's Connect then finds them in place. Both
// pages pass axe-core, and every answer holds to docs/openapi.yaml.
func TestConsoleBoundaryOnTheBinary(t *testing.T) {
	t.Parallel()
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	rs := startRedis(t)
	extra := fmt.Sprintf("    shop: %s\n    relay_secrets: [%q]\n    reconcile: {every: 1s}\n    merchant_tokens: [\"tok-shop\"]\n", testShopDomain, secret)
	cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: "shop", platform: "shopify", baseURL: shop.URL, extra: extra}}, "public_url: \"https://cancelsync.example.com\"")
	s := start(t, "serve", cfg, listen)
	defer checkAgainstOpenAPI(t, s.url)

	twin := func(method, path string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, nil)
		req.Header.Set("Authorization", "Bearer tok-shop")
		return do(t, req)
	}
	boundary := func() map[string]any {
		t.Helper()
		code, v := twin("GET", "/v1/adapters/shop/dashboard")
		b, _ := v["boundary"].(map[string]any)
		if code != http.StatusOK || b == nil {
			t.Fatalf("dashboard: %d %v", code, v)
		}
		return b
	}
	states := func(b map[string]any) string {
		var out []string
		subs, _ := b["subscriptions"].([]any)
		for _, x := range subs {
			m, _ := x.(map[string]any)
			out = append(out, fmt.Sprint(m["topic"], "=", m["state"]))
		}
		return strings.Join(out, " ")
	}

	// The poll runs every second and, with public_url set, looks at the
	// subscriptions: none yet.
	var b map[string]any
	if !poll(15*time.Second, 100*time.Millisecond, func() bool {
		b = boundary()
		return b["last_poll"] != nil && strings.Count(states(b), "=missing") == 6
	}) {
		t.Fatalf("the poll never showed on the dashboard: %v", b)
	}

	// An order the Admin API does not know: its live check fails, and the
	// request is decided on the stored snapshot.
	now := time.Now().UTC().Truncate(time.Second)
	if code, out := postShopify(t, s, "shop", "orders/paid", shopifyOrder("7001", "paid", false, now.Add(-time.Hour), now, nil), true); code != http.StatusAccepted {
		t.Fatalf("order: %d %v", code, out)
	}
	s.waitFor(t, "shop", "7001", "stored", func(v map[string]any) bool { return v["order"] != nil })
	s.accept(t, "shop", "cancellations", requestBody("7001", "rq-7001", "buyer", now))
	s.waitFor(t, "shop", "7001", "decided", func(v map[string]any) bool { return strings.Contains(historyNotes(v), "live check failed") })
	if !poll(10*time.Second, 50*time.Millisecond, func() bool { b = boundary(); return b["live_check_failures"] == 1.0 }) {
		t.Fatalf("live check failures: %v", b)
	}
	if last, _ := b["last_live_check_failure"].(map[string]any); last["order_id"] != "7001" || last["error"] == "" {
		t.Fatalf("latest failed live check: %v", b["last_live_check_failure"])
	}

	// The page, in a browser: what the twin said, in words; then Connect.
	ctx := browserContext(t)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("sign in",
		chromedp.Navigate(s.url+"/console/"),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", "tok-shop"),
		chromedp.Click("#sign-in"),
		chromedp.WaitVisible("#subscriptions"),
	)
	html, err := chromedp.Run(ctx, chromedp.OuterHTML("main"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Connection to Shopify", `<td id="live-check-failures">1</td>`, `<a href="/console/adapters/shop/orders/7001">7001</a>`} {
		if !strings.Contains(html, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if n := strings.Count(html, `<span data-value="missing" title="missing">Missing</span>`); n != 6 {
		t.Errorf("dashboard shows %d missing webhooks, want 6", n)
	}
	if strings.Contains(html, `id="last-poll" data-value="never"`) {
		t.Error("dashboard says the poll never ran")
	}
	checkA11y(t, ctx, "dashboard with its boundary")
	run("connect", chromedp.Click("#connect"), chromedp.WaitVisible("#connect-results"))
	html, err = chromedp.Run(ctx, chromedp.OuterHTML("main"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html, `data-value="created">`); n != 6 || !strings.Contains(html, "orders/partially_fulfilled: Created") {
		t.Errorf("connect page shows %d created, want 6:\n%s", n, html)
	}
	checkA11y(t, ctx, "connect result page")
	subs := shop.Subscriptions()
	if len(subs) != 6 || subs[0].URI != "https://cancelsync.example.com/webhooks/shop/orders" {
		t.Fatalf("subscriptions on Shopify: %+v", subs)
	}

	// The twin finds them in place and changes nothing; the dashboard
	// shows them active.
	code, v := twin("POST", "/v1/adapters/shop/connect")
	lines, _ := v["subscriptions"].([]any)
	if code != http.StatusOK || v["failed"] != false || len(lines) != 6 {
		t.Fatalf("connect twin: %d %v", code, v)
	}
	for _, l := range lines {
		if m, _ := l.(map[string]any); m["result"] != "ok" {
			t.Errorf("connect twin, second time: %v", m)
		}
	}
	if len(shop.Subscriptions()) != 6 {
		t.Fatalf("a second connect changed Shopify: %+v", shop.Subscriptions())
	}
	if b = boundary(); strings.Count(states(b), "=ok") != 6 {
		t.Fatalf("subscriptions after connect: %s", states(b))
	}
}
