package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
)

const storefrontKey = "e2e-storefront-key-0123456789abcdef"

// storefrontRig is serve with a selfservice and a poshmark adapter that
// have storefront_secrets, and three orders of buyer b-17: an eligible one,
// a shipped one, and a Poshmark order placed 4 h ago (past its 3 h window).
func storefrontRig(t *testing.T, rb redisBackend) *service {
	t.Helper()
	keys := "    storefront_secrets: [\"" + storefrontKey + "\"]\n"
	r := newRigOn(t, rb(t), nil, "",
		adapterConf{id: "sf-self", platform: "selfservice", extra: keys},
		adapterConf{id: "sf-posh", platform: "poshmark", extra: keys})
	s := r.serve(t)
	now := time.Now().UTC()
	s.accept(t, "sf-self", "orders", orderBody("o-eligible", "paid", now.Add(-time.Hour), now, nil))
	s.accept(t, "sf-self", "orders", orderBody("o-shipped", "shipped", now.Add(-time.Hour), now, nil))
	s.accept(t, "sf-posh", "orders", orderBody("o-late", "paid", now.Add(-4*time.Hour), now, nil))
	s.accept(t, "sf-posh", "orders", orderBody("o-posh", "paid", now.Add(-time.Hour), now, nil))
	s.accept(t, "sf-self", "orders", orderBody("o-lines", "paid", now.Add(-time.Hour), now, map[string]any{"items": []any{
		map[string]any{"sku": "JKT-M", "quantity": 1, "price": "20.00", "line_id": "li-1"},
		map[string]any{"sku": "TEE-L", "quantity": 2, "price": "11.25", "line_id": "li-2"},
	}}))
	for _, o := range [][2]string{{"sf-self", "o-eligible"}, {"sf-self", "o-shipped"}, {"sf-posh", "o-late"}, {"sf-posh", "o-posh"}, {"sf-self", "o-lines"}} {
		s.waitFor(t, o[0], o[1], "its snapshot", func(v map[string]any) bool { return v["order"] != nil })
	}
	return s
}

func buyerToken(t *testing.T, sub string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": sub, "exp": time.Now().Add(10 * time.Minute).Unix(), "iat": time.Now().Unix(),
	}).SignedString([]byte(storefrontKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func storefrontCall(t *testing.T, s *service, method, adapter, orderID, tok, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	var req *http.Request
	var err error
	u := s.url + "/storefront/" + adapter + "/orders/" + orderID + "/cancellation"
	if body != "" {
		req, err = http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://shop.example")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp.Header
}

// TestStorefrontOnTheBinary: the buyer's questions and request against the
// real binary. Eligibility per platform matches the decision tables, the
// POST is decided by the workers, and the read API agrees.
func TestStorefrontOnTheBinary(t *testing.T) {
	storefrontOnTheBinary(t, single)
}

func storefrontOnTheBinary(t *testing.T, rb redisBackend) {
	s := storefrontRig(t, rb)
	tok := buyerToken(t, "b-17")
	for _, c := range []struct {
		adapter, order, would, denial string
		eligible, cancelBy            bool
	}{
		{"sf-self", "o-eligible", "cancelled", "", true, false},
		{"sf-self", "o-shipped", "denied", "already_shipped", false, false},
		{"sf-posh", "o-late", "denied", "window_expired", false, true},
		{"sf-posh", "o-posh", "cancelled", "", true, true},
	} {
		code, out, h := storefrontCall(t, s, "GET", c.adapter, c.order, tok, "")
		dr, _ := out["denial_reason"].(string)
		if code != 200 || out["would"] != c.would || dr != c.denial || out["eligible"] != c.eligible ||
			(out["cancel_by"] != nil) != c.cancelBy || h.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s/%s: %d %v", c.adapter, c.order, code, out)
		}
	}
	if code, _, _ := storefrontCall(t, s, "GET", "sf-self", "o-eligible", buyerToken(t, "b-99"), ""); code != 404 {
		t.Fatalf("another buyer: %d", code)
	}
	if code, _, h := storefrontCall(t, s, "GET", "sf-self", "o-eligible", "", ""); code != 401 || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d", code)
	}
	code, out, _ := storefrontCall(t, s, "POST", "sf-posh", "o-posh", tok, `{"reason":"changed_mind","comments":"wrong size"}`, "Idempotency-Key", "click-1")
	if code != 202 || out["status"] != "queued" {
		t.Fatalf("POST: %d %v", code, out)
	}
	// The key again on another order: refused, nothing queued for it.
	if code, again, h := storefrontCall(t, s, "POST", "sf-posh", "o-late", tok, `{"reason":"changed_mind","comments":"wrong size"}`, "Idempotency-Key", "click-1"); code != 422 ||
		again["type"] != "https://cancelsync.dev/problems/idempotency-key-reused" || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("the key on another order: %d %v", code, again)
	}
	v := s.waitFor(t, "sf-posh", "o-posh", "the buyer's request cancelled", stateIs("cancelled", "synced"))
	if field(v, "cancellation", "request_id") != out["request_id"] || field(v, "cancellation", "refund", "method") != "platform_credit" {
		t.Fatalf("view %v", v)
	}
	_, after, _ := storefrontCall(t, s, "GET", "sf-posh", "o-posh", tok, "")
	if after["eligible"] != false || after["denial_reason"] != "already_cancelled" || field(after, "cancellation", "state") != "cancelled" {
		t.Fatalf("GET after: %v", after)
	}
}

// chromium finds Debian's chromium; without it the browser test is
// skipped on a developer's machine and fails under CI (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); the browser test must run in CI")
	}
	t.Skip("chromium is not installed; the browser test runs in CI")
	return ""
}

// TestStorefrontSnippetInChromium serves docs/examples/storefront's snippet
// from a loopback page (another origin than cancelsync, so CORS is real),
// with a minted token and the API base filled in, and drives headless
// Chromium through what a buyer sees.
func TestStorefrontSnippetInChromium(t *testing.T) {
	exe := chromium(t)
	s := storefrontRig(t, single)
	snippet, err := os.ReadFile("../docs/examples/storefront/cancel-order.html")
	if err != nil {
		t.Fatal(err)
	}
	tok := buyerToken(t, "b-17")
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := strings.NewReplacer(
			`data-api="https://cancelsync.example.com"`, `data-api="`+s.url+`"`,
			`data-adapter="acme-posh"`, `data-adapter="`+r.URL.Query().Get("adapter")+`"`,
			`data-order="PM-10023"`, `data-order="`+r.URL.Query().Get("order")+`"`,
			`data-token="BUYER-TOKEN"`, `data-token="`+tok+`"`,
			`data-poll-ms="5000"`, `data-poll-ms="300"`,
		).Replace(string(snippet))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// A plain shop page, itself accessible, so axe judges the snippet.
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your order</title></head><body><main><h1>Your order</h1>` + page + "</main></body></html>"))
	}))
	t.Cleanup(shop.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // start the browser once
		t.Fatal(err)
	}

	page := func(adapter, order string) string {
		return shop.URL + "/?adapter=" + adapter + "&order=" + order
	}
	// text waits until the element's text contains want (the page asks
	// cancelsync asynchronously) and returns it.
	text := func(ctx context.Context, sel, want string) string {
		t.Helper()
		var got string
		ok := poll(30*time.Second, 100*time.Millisecond, func() bool {
			got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("`+sel+`").textContent`))
			return strings.Contains(got, want)
		})
		if !ok {
			t.Fatalf("%s reads %q, want it to contain %q", sel, got, want)
		}
		return got
	}
	buttonShown := func(ctx context.Context) bool {
		hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("cs-cancel").hidden`))
		if err != nil {
			t.Fatal(err)
		}
		return !hidden
	}
	// loaded waits until the page has had cancelsync's answer.
	loaded := func(ctx context.Context) {
		t.Helper()
		ok := poll(30*time.Second, 100*time.Millisecond, func() bool {
			n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`performance.getEntriesByType("resource").filter(e => e.name.includes("/storefront/")).length`))
			return n > 0
		})
		if !ok {
			t.Fatal("the snippet never asked cancelsync")
		}
	}

	t.Run("eligible: cancel, requested, outcome", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
		defer cancel()
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		if err := chromedp.Do(tab,
			chromedp.Navigate(page("sf-self", "o-eligible")),
			chromedp.WaitVisible(chromedp.ID("cs-cancel")),
		); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, tab, "snippet, eligible")
		if err := chromedp.Do(tab,
			chromedp.Click(chromedp.ID("cs-cancel")),
			chromedp.WaitVisible(chromedp.ID("cs-form")),
		); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, tab, "snippet, form open")
		if err := chromedp.Do(tab,
			chromedp.SetValue(chromedp.ID("cs-reason"), "ordered_by_mistake"),
			chromedp.SendKeys(chromedp.ID("cs-comments"), "Wrong colour"),
			chromedp.Click(chromedp.ID("cs-submit")),
		); err != nil {
			t.Fatal(err)
		}
		text(tab, "#cs-outcome", "Order cancelled")
		// The outcome replaces "Cancellation requested": nothing above it
		// still says the request is only requested.
		if got := text(tab, "#cs-status", ""); got != "" {
			t.Errorf("#cs-status still reads %q above the outcome", got)
		}
		if got := text(tab, "#cs-outcome", ""); !strings.Contains(got, "42.50 USD will be refunded to your original payment method") {
			t.Errorf("the outcome of an original_payment refund reads %q", got)
		}
		if buttonShown(tab) {
			t.Fatal("the Cancel order button is still shown after the request")
		}
		checkA11y(t, tab, "snippet, outcome")
		v := s.view(t, "sf-self", "o-eligible")
		if field(v, "cancellation", "reason") != "ordered_by_mistake" || field(v, "cancellation", "initiator") != "buyer" {
			t.Fatalf("view after the click-through: %v", v)
		}
	})

	t.Run("several lines: cancel one unit of one line", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
		defer cancel()
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		if err := chromedp.Do(tab,
			chromedp.Navigate(page("sf-self", "o-lines")),
			chromedp.WaitVisible(chromedp.ID("cs-cancel")),
			chromedp.Click(chromedp.ID("cs-cancel")),
			chromedp.WaitVisible(chromedp.ID("cs-lines")),
		); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, tab, "snippet, lines")
		label, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector("label[for=cs-line-1]").textContent`))
		if err != nil || label != "TEE-L (up to 2)" {
			t.Fatalf("the second line's label reads %q (%v)", label, err)
		}
		if err := chromedp.Do(tab,
			chromedp.SetValue(chromedp.ID("cs-line-0"), "0"),
			chromedp.SetValue(chromedp.ID("cs-line-1"), "1"),
			chromedp.Click(chromedp.ID("cs-submit")),
		); err != nil {
			t.Fatal(err)
		}
		if got := text(tab, "#cs-outcome", "Items cancelled"); !strings.Contains(got, "11.25 USD will be refunded") {
			t.Errorf("the outcome reads %q", got)
		}
		checkA11y(t, tab, "snippet, lines cancelled")
		v := s.view(t, "sf-self", "o-lines")
		if got, _ := json.Marshal(field(v, "cancellation", "lines")); string(got) != `[{"line_id":"li-2","quantity":1,"refund_amount":"11.25"}]` {
			t.Errorf("lines %s", got)
		}
	})

	t.Run("poshmark by keyboard: store credit, dates with their time zone", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
		defer cancel()
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		active := func() string {
			t.Helper()
			id, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// A buyer in New York with an American browser: dates say EST or EDT.
		if err := chromedp.Do(tab,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: "en-US"})
				return err
			}),
			chromedp.Navigate(page("sf-posh", "o-posh")),
			chromedp.WaitVisible(chromedp.ID("cs-cancel")),
		); err != nil {
			t.Fatal(err)
		}
		if got := text(tab, "#cs-status", "You can cancel until"); !regexp.MustCompile(`\d:\d\d[\s\x{202f}]?[AP]M E[SD]T$`).MatchString(got) {
			t.Errorf("the window's end has no time zone: %q", got)
		}
		// Keyboard only: Enter on the button opens the form with focus on
		// its first field; Enter on the submit button sends it, and focus
		// goes to the status line that replaced the form.
		if err := chromedp.Do(tab, chromedp.Focus(chromedp.ID("cs-cancel")), chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.ID("cs-form"))); err != nil {
			t.Fatal(err)
		}
		if got := active(); got != "cs-reason" {
			t.Errorf("after opening the form, focus is on %q, want cs-reason", got)
		}
		if err := chromedp.Do(tab, chromedp.Focus(chromedp.ID("cs-submit")), chromedp.KeyEvent("\r")); err != nil {
			t.Fatal(err)
		}
		got := text(tab, "#cs-outcome", "Order cancelled")
		if !strings.Contains(got, "42.50 USD will be given to you as store credit") || strings.Contains(got, "refunded") {
			t.Errorf("the outcome of a platform_credit refund reads %q", got)
		}
		if got := active(); got != "cs-status" {
			t.Errorf("after sending, focus is on %q, want cs-status", got)
		}
		checkA11y(t, tab, "snippet, store credit")
	})

	t.Run("shipped: no button", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		if err := chromedp.Do(tab, chromedp.Navigate(page("sf-self", "o-shipped"))); err != nil {
			t.Fatal(err)
		}
		loaded(tab)
		if buttonShown(tab) {
			t.Fatal("Cancel order is shown on a shipped order")
		}
	})

	t.Run("poshmark past 3h: no button, window closed", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
		defer cancel()
		tab, closeTab := chromedp.NewContext(ctx)
		defer closeTab()
		if err := chromedp.Do(tab, chromedp.Navigate(page("sf-posh", "o-late"))); err != nil {
			t.Fatal(err)
		}
		got := text(tab, "#cs-status", "window closed")
		if !regexp.MustCompile(`\d:\d\d[\s\x{202f}]?[AP]M (UTC|GMT)`).MatchString(got) {
			t.Errorf("the window's end has no time zone: %q", got)
		}
		if buttonShown(tab) {
			t.Fatal("Cancel order is shown past Poshmark's window")
		}
		checkA11y(t, tab, "snippet, window closed")
	})
}
