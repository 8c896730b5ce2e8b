package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// browserContext starts headless Chromium for t. Without Chromium the test
// is skipped locally and fails under CI=true, where .ci/run installs it.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (%s); .ci/run installs it", chromiumPath)
		} else {
			t.Skip("chromium is not installed; CI installs it")
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.WindowSize(1280, 1600))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifactsDir is where the browser test leaves its screenshots: the
// directory CANCELSYNC_ARTIFACTS names (CI collects it), else the test's
// temp dir.
func artifactsDir(t *testing.T) string {
	if d := os.Getenv("CANCELSYNC_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestConsoleInBrowser signs a merchant in to the console of the real
// binary in headless Chromium, checks the dashboard's counts against what
// the test sent, answers an AliExpress request and replays a dead letter
// from the page, and checks that the merchant never sees another adapter.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browserContext(t)
	var failA4 atomic.Bool
	failA4.Store(true)
	r := newRig(t, func(n int, p put, h http.Header) int {
		if p.OrderID == "A-4" && failA4.Load() {
			return http.StatusUnprocessableEntity // permanent: dead letter at once
		}
		return http.StatusOK
	}, "",
		adapterConf{id: "shop-ali", platform: "aliexpress", extra: "    merchant_tokens: [\"tok-ali-merchant\"]\n"},
		adapterConf{id: "shop-other", platform: "selfservice", extra: "    merchant_tokens: [\"tok-other-merchant\"]\n"},
	)
	s := r.serve(t)
	now := time.Now().UTC().Truncate(time.Second)

	// What the merchant should see: 4 orders; a buyer's request waiting for
	// an answer, one denied because the order shipped, one the
	// seller cancelled whose sync the platform refuses. Another
	// adapter's order must never show.
	for _, id := range []string{"A-1", "A-2", "A-4"} {
		s.accept(t, "shop-ali", "orders", orderBody(id, "paid", now.Add(-time.Hour), now, nil))
	}
	s.accept(t, "shop-ali", "orders", orderBody("A-3", "shipped", now.Add(-time.Hour), now, map[string]any{"shipped_at": now.Format(time.RFC3339)}))
	s.accept(t, "shop-other", "orders", orderBody("O-1", "paid", now.Add(-time.Hour), now, nil))
	s.accept(t, "shop-ali", "cancellations", requestBody("A-1", "cr-a1", "buyer", now))
	s.accept(t, "shop-ali", "cancellations", requestBody("A-3", "cr-a3", "buyer", now))
	s.accept(t, "shop-ali", "cancellations", requestBody("A-4", "cr-a4", "seller", now))
	s.accept(t, "shop-other", "cancellations", requestBody("O-1", "cr-o1", "buyer", now))
	s.waitFor(t, "shop-ali", "A-1", "pending", stateIs("pending_response", "synced"))
	s.waitFor(t, "shop-ali", "A-3", "denied", stateIs("denied", "synced"))
	s.waitFor(t, "shop-ali", "A-4", "sync failed", stateIs("cancelled", "failed"))
	s.waitFor(t, "shop-other", "O-1", "cancelled", stateIs("cancelled", "synced"))
	// The dead letter's JSON twin, with the merchant's token.
	if !poll(30*time.Second, 50*time.Millisecond, func() bool {
		req, _ := http.NewRequest("GET", s.url+"/v1/adapters/shop-ali/dead-letters", nil)
		req.Header.Set("Authorization", "Bearer tok-ali-merchant")
		code, v := do(t, req)
		items, _ := v["items"].([]any)
		return code == 200 && len(items) == 1
	}) {
		t.Fatal("the dead letter of A-4 never showed in /v1/adapters/shop-ali/dead-letters")
	}

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+strconv.Quote(sel)+`)?.getAttribute(`+strconv.Quote(name)+`) ?? ""`))
		if err != nil {
			t.Fatalf("%s[%s]: %v", sel, name, err)
		}
		return v
	}
	exists := func(sel string) bool {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}

	// The admin's home page: one row per adapter, with its requests, what
	// waits for an answer and failed syncs.
	run("sign in as admin",
		chromedp.Navigate(s.url+"/console/"),
		chromedp.WaitVisible("#token"),
	)
	checkA11y(t, ctx, "sign-in page")
	run("admin home",
		chromedp.SendKeys("#token", adminToken),
		chromedp.Click("#sign-in"),
		chromedp.WaitVisible("#adapters"),
	)
	for sel, want := range map[string]string{
		`.adapter-row[data-adapter="shop-ali"] .requests`: "3", `.adapter-row[data-adapter="shop-ali"] .waiting`: "1",
		`.adapter-row[data-adapter="shop-ali"] .failed-syncs`: "1", `.adapter-row[data-adapter="shop-other"] .requests`: "1",
	} {
		if got := text(sel); got != want {
			t.Errorf("home: %s shows %q, want %q", sel, got, want)
		}
	}
	checkA11y(t, ctx, "home page")
	run("sign out", chromedp.Click("#sign-out"), chromedp.WaitVisible("#token"))

	// Sign in with the merchant token: straight to the adapter's dashboard.
	run("sign in",
		chromedp.Navigate(s.url+"/console/"),
		chromedp.SendKeys("#token", "tok-ali-merchant"),
		chromedp.Click("#sign-in"),
		chromedp.WaitVisible("#orders-seen"),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/console/adapters/shop-ali") {
		t.Fatalf("after sign-in: %s", loc)
	}
	for sel, want := range map[string]string{"#orders-seen": "4", "#requests": "3", "#cancelled": "1", "#pending-now": "1", "#dead-letters": "1", "#sync-failed": "1"} {
		if got := text(sel); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML("html"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "shop-other") || strings.Contains(html, "O-1") {
		t.Error("merchant shop-ali's dashboard shows the other adapter")
	}
	if !strings.Contains(html, "<svg") {
		t.Error("no chart on the dashboard")
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(artifactsDir(t), "console-dashboard.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)
	checkA11y(t, ctx, "dashboard")

	// The list: words for the values, the raw value kept beside them.
	run("list", chromedp.Navigate(s.url+"/console/adapters/shop-ali/cancellations"), chromedp.WaitVisible("#filter"))
	if got, raw := text(`.row[data-order="A-3"] [data-value="already_shipped"]`), attr(`.row[data-order="A-3"] [data-value="already_shipped"]`, "title"); got != "Already shipped" || raw != "already_shipped" {
		t.Errorf("A-3's denial in the list: %q (title %q)", got, raw)
	}
	checkA11y(t, ctx, "cancellations list")
	run("back to the dashboard", chromedp.Navigate(s.url+"/console/adapters/shop-ali"), chromedp.WaitVisible("#orders-seen"))

	// Accept A-1's request from the dashboard; the order page shows it
	// become cancelled and synced.
	run("accept", chromedp.Click(`.pending-row[data-order="A-1"] .accept`), chromedp.WaitVisible("#message"))
	// The order page before its outcome: the buyer, the items, and a
	// merchant cancel is not offered while the buyer's request is open.
	if got := text("#order-buyer"); got != "b-17" {
		t.Errorf("A-1's buyer: %q", got)
	}
	if got := text("#order-items .item"); !strings.Contains(got, "JKT-M") || !strings.Contains(got, "42.50") {
		t.Errorf("A-1's items: %q", got)
	}
	if !poll(30*time.Second, 300*time.Millisecond, func() bool {
		_ = chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible("#sync-state"))
		return attr("#cancellation-state", "data-state") == "cancelled" && attr("#sync-state", "data-state") == "synced"
	}) {
		t.Fatalf("A-1 shows %s/%s", attr("#cancellation-state", "data-state"), attr("#sync-state", "data-state"))
	}
	// After a reload the action's message is gone; the outcome is in words
	// ("Cancelled", not the raw value), and a cancelled order offers no
	// merchant cancel.
	if exists("#message") {
		t.Errorf("the action's message survives a reload: %q", text("#message"))
	}
	if got := text("#cancellation-state"); got != "Cancelled" {
		t.Errorf("#cancellation-state reads %q", got)
	}
	if exists("#cancel-order") || attr("#no-cancel", "data-value") != "already_cancelled" {
		t.Errorf("a cancelled order: cancel button %v, why not %q", exists("#cancel-order"), attr("#no-cancel", "data-value"))
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML("main")); err != nil || strings.Contains(html, ">pending_response<") || strings.Contains(html, ">changed_mind<") || strings.Contains(html, ">original_payment<") {
		t.Errorf("raw values shown as text on the order page (%v)", err)
	}
	checkA11y(t, ctx, "order page")
	// A paid order with nothing open offers the merchant's cancel.
	run("A-2", chromedp.Navigate(s.url+"/console/adapters/shop-ali/orders/A-2"), chromedp.WaitVisible("#order-status"))
	if !exists("#cancel-order") {
		t.Error("A-2 (paid, no request) offers no merchant cancel")
	}
	// A path no route takes is a console page too.
	// (Navigate waits for the page's load; the h1 is read directly, as
	// chromedp's node queries stall on this 404 page.)
	run("escaped slash", chromedp.Navigate(s.url+"/console/adapters/shop-ali/orders/a%2Fb"))
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("h1")?.textContent ?? ""`)); err != nil || got != "Not found" {
		t.Errorf("/orders/a%%2Fb shows %q (%v)", got, err)
	}
	checkA11y(t, ctx, "not-found page")
	var cancelledPut bool
	for _, pu := range r.p.received() {
		if pu.OrderID == "A-1" && pu.Body["state"] == "cancelled" {
			cancelledPut = true
		}
	}
	if !cancelledPut {
		t.Error("the platform never received A-1's cancellation")
	}

	// The platform takes A-4 now: replay its dead letter from the dashboard.
	failA4.Store(false)
	run("replay",
		chromedp.Navigate(s.url+"/console/adapters/shop-ali"),
		chromedp.Click(`.dead-letter[data-order="A-4"] .replay`),
		chromedp.WaitVisible("#message"),
	)
	if !poll(30*time.Second, 300*time.Millisecond, func() bool {
		_ = chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible("#sync-state"))
		return attr("#sync-state", "data-state") == "synced"
	}) {
		t.Fatalf("A-4's sync shows %s after the replay", attr("#sync-state", "data-state"))
	}

	// Another merchant's adapter, its orders and its JSON twins are a 404.
	for _, p := range []string{"/console/adapters/shop-other", "/console/adapters/shop-other/orders/O-1", "/console/adapters/shop-other/cancellations"} {
		run("other adapter", chromedp.Navigate(s.url+p))
		if html, err = chromedp.Run(ctx, chromedp.OuterHTML("html")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, "Not found") || strings.Contains(html, "O-1") || strings.Contains(html, "selfservice") {
			t.Errorf("%s as merchant shop-ali shows: %.300s", p, html)
		}
	}
	for _, p := range []string{"/v1/adapters/shop-other/stats", "/v1/adapters/shop-other/orders/O-1", "/v1/adapters/shop-other/cancellations"} {
		req, _ := http.NewRequest("GET", s.url+p, nil)
		req.Header.Set("Authorization", "Bearer tok-ali-merchant")
		if code, _ := do(t, req); code != http.StatusNotFound {
			t.Errorf("%s with shop-ali's token: %d", p, code)
		}
	}
	req, _ := http.NewRequest("GET", s.url+"/admin/queues", nil)
	req.Header.Set("Authorization", "Bearer tok-ali-merchant")
	if code, _ := do(t, req); code != http.StatusUnauthorized {
		t.Errorf("/admin/queues with a merchant token: %d", code)
	}
	// The list twin counts what the page counted.
	req, _ = http.NewRequest("GET", s.url+"/v1/adapters/shop-ali/cancellations", nil)
	req.Header.Set("Authorization", "Bearer tok-ali-merchant")
	code, v := do(t, req)
	b, _ := json.Marshal(v["items"])
	var items []map[string]any
	_ = json.Unmarshal(b, &items)
	if code != 200 || len(items) != 3 {
		t.Errorf("cancellations twin: %d %v", code, v)
	}
}
