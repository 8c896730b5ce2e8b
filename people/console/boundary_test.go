package console_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/httpapi"
	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/people/console"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
	"github.com/cancelsync/cancelsync/webhooks"
)

const (
	wooKey = "ck_console0000000000000000000000000000000aa"
	wooCS  = "cs_console0000000000000000000000000000000bb"
	pubURL = "https://cancelsync.example.com"
)

// boundaryRig is the console on three adapters: "shop" (Shopify, token
// tok-shop) and "woo" (WooCommerce, tok-woo) on fake platforms that are
// real HTTP servers, and "shop-a" (AliExpress, tok-a), which has no
// boundary. public_url is publicURL.
type boundaryRig struct {
	*rig
	store *orderstore.Store
	shop  *shopifytest.Server
	woo   *wootest.Server
}

func newBoundaryRig(t *testing.T, publicURL string) *boundaryRig {
	t.Helper()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	br := &boundaryRig{rig: &rig{rdb: rdb, ads: map[string]*platform.Adapter{}, logs: &logBuffer{}},
		shop: shopifytest.NewServer(), woo: wootest.NewServer(wooKey, wooCS)}
	t.Cleanup(br.shop.Close)
	t.Cleanup(br.woo.Close)
	settings := map[string]platform.Settings{
		"shop": {Secrets: []string{"shpss_0123456789abcdef"}, MerchantTokens: []string{"tok-shop"},
			API: platform.API{BaseURL: br.shop.URL, Token: "shpat_x", Timeout: 2 * time.Second}, Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com"})},
		"woo": {Secrets: []string{"woo webhook secret"}, MerchantTokens: []string{"tok-woo"},
			API: platform.API{BaseURL: br.woo.URL, Timeout: 2 * time.Second}, Block: platform.BlockOf(map[string]any{"api.consumer_key": wooKey, "api.consumer_secret": wooCS})},
		"shop-a": {Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, MerchantTokens: []string{"tok-a"},
			API: platform.API{BaseURL: "http://127.0.0.1:9", Token: "x", Timeout: time.Second}},
	}
	plat := map[string]string{"shop": "shopify", "woo": "woocommerce", "shop-a": "aliexpress"}
	for id, s := range settings {
		s.ID = id
		ad, err := registry.Default()[plat[id]].New(s)
		if err != nil {
			t.Fatal(id, err)
		}
		br.ads[id] = ad
	}
	br.store = orderstore.NewStore(rdb)
	br.queue = tasks.NewQueue(rdb, time.Hour)
	c := console.New(console.Options{
		Options: merchant.Options{
			Redis: rdb, Store: br.store, Indexes: orderstore.NewConsole(br.store), DeadLetters: syncback.NewDeadLetters(br.queue, br.store), Enqueuer: br.queue,
			Adapter:   func(id string) (*platform.Adapter, bool) { a, ok := br.ads[id]; return a, ok },
			PublicURL: func() string { return publicURL },
		},
		AdapterIDs: func() []string { return []string{"shop", "shop-a", "woo"} },
		AdminToken: func() string { return adminToken },
		Logger:     slog.New(slog.NewJSONHandler(br.logs, nil)),
	})
	h := httpapi.NewRouter(httpapi.Options{
		Webhooks: webhooks.Options{Adapters: br.ads, Enqueuer: br.queue}, Views: orderstore.Views{Store: br.store, Adapters: br.ads}, AdminToken: adminToken,
		Console: c, QueuesUI: http.NotFoundHandler(),
	})
	br.srv = httptest.NewServer(h)
	t.Cleanup(br.srv.Close)
	return br
}

// boundaryOf is the dashboard twin's boundary object; nil when absent.
func boundaryOf(t *testing.T, r *boundaryRig, adapter, token, query string) map[string]any {
	t.Helper()
	code, body := r.do(t, "GET", "/v1/adapters/"+adapter+"/dashboard"+query, token, "")
	if code != http.StatusOK {
		t.Fatalf("dashboard of %s: %d %s", adapter, code, body)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if _, ok := d["boundary"]; !ok {
		return nil
	}
	b, _ := d["boundary"].(map[string]any)
	if b == nil {
		t.Fatalf("boundary of %s is %v", adapter, d["boundary"])
	}
	return b
}

// The dashboard shows what the poll, the workers and connect recorded: the
// last successful poll (or never), each topic's state, and the live checks
// that failed in the period with the latest one. AliExpress shows none of it.
func TestDashboardShowsTheBoundary(t *testing.T) {
	t.Parallel()
	r := newBoundaryRig(t, pubURL)
	ctx := context.Background()

	b := boundaryOf(t, r, "shop", "tok-shop", "")
	if b["last_poll"] != nil || len(b["subscriptions"].([]any)) != 0 || b["live_check_failures"] != 0.0 ||
		b["last_live_check_failure"] != nil || b["public_url_set"] != true || b["poll_every_seconds"] != 900.0 {
		t.Fatalf("boundary before anything: %v", b)
	}
	web := newBrowser(t, r.rig)
	web.signIn("tok-shop")
	if _, page := web.get("/console/adapters/shop"); !strings.Contains(page, `id="last-poll" data-value="never">Never`) ||
		!strings.Contains(page, "Not checked yet") || !strings.Contains(page, `<button id="connect" aria-describedby`) {
		t.Fatalf("page before anything:\n%s", page)
	}

	// What a poll, a connect and two failed live checks leave.
	polled := time.Now().UTC().Add(-3 * time.Minute).Truncate(time.Millisecond)
	if ok, err := r.store.ReconcileLease(ctx, "woo", "me", time.Minute); err != nil || !ok {
		t.Fatal("lease", ok, err)
	}
	if err := r.store.AdvanceMark(ctx, "woo", "me", polled, polled); err != nil {
		t.Fatal(err)
	}
	if err := r.store.SaveSubscriptions(ctx, "woo", map[string]string{"order.created": "ok", "order.updated": "disabled"}, polled); err != nil {
		t.Fatal(err)
	}
	for _, f := range []orderstore.LiveFailure{
		{At: time.Now().UTC().AddDate(0, 0, -20), OrderID: "w-old", Error: "status 502"},
		{At: time.Now().UTC(), OrderID: "w-41", Error: "context deadline exceeded"},
	} {
		if err := r.store.CountLiveFailure(ctx, "woo", f); err != nil {
			t.Fatal(err)
		}
	}
	b = boundaryOf(t, r, "woo", "tok-woo", "")
	last, _ := b["last_live_check_failure"].(map[string]any)
	if b["last_poll"] != polled.Format(time.RFC3339Nano) || b["live_check_failures"] != 1.0 || last["order_id"] != "w-41" ||
		last["error"] != "context deadline exceeded" {
		t.Fatalf("woo boundary: %v", b)
	}
	subs, _ := json.Marshal(b["subscriptions"])
	if string(subs) != `[{"state":"ok","topic":"order.created"},{"state":"disabled","topic":"order.updated"}]` {
		t.Fatalf("subscriptions: %s", subs)
	}
	if b := boundaryOf(t, r, "woo", "tok-woo", "?days=30"); b["live_check_failures"] != 2.0 {
		t.Fatalf("30 days: %v failures", b["live_check_failures"])
	}

	web = newBrowser(t, r.rig)
	web.signIn("tok-woo")
	_, page := web.get("/console/adapters/woo")
	for _, want := range []string{
		`id="last-poll" data-value="` + polled.Format(time.RFC3339),
		`<tr class="subscription" data-topic="order.updated"><td>order.updated</td><td><span data-value="disabled" title="disabled">Disabled</span>`,
		`<tr class="subscription" data-topic="order.created"><td>order.created</td><td><span data-value="ok" title="ok">Active</span>`,
		`<td id="live-check-failures">1</td>`,
		`order <a href="/console/adapters/woo/orders/w-41">w-41</a>: context deadline exceeded`,
		"Connection to WooCommerce",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("woo page lacks %q", want)
		}
	}

	// Other platforms: nothing of this, in the twin or the page.
	if b := boundaryOf(t, r, "shop-a", "tok-a", ""); b != nil {
		t.Errorf("aliexpress has a boundary: %v", b)
	}
	web = newBrowser(t, r.rig)
	web.signIn("tok-a")
	if _, page := web.get("/console/adapters/shop-a"); strings.Contains(page, "boundary-title") || strings.Contains(page, `id="connect"`) {
		t.Errorf("aliexpress page shows the boundary")
	}
}

// Connect, pressed on the page, runs what cancelsync connect runs: it
// creates the missing webhook and re-activates the disabled one, says so
// per topic, and a second press changes nothing. It takes the session's
// CSRF token; another adapter's token gets 404 and touches nothing.
func TestConnectButton(t *testing.T) {
	t.Parallel()
	r := newBoundaryRig(t, pubURL)
	const hookURL = pubURL + "/webhooks/woo/orders"
	disabled := r.woo.AddWebhook("order.updated", hookURL, "disabled")

	web := newBrowser(t, r.rig)
	web.signIn("tok-woo")
	_, page := web.get("/console/adapters/woo")
	csrf := csrfOf(t, page)
	if res, _ := web.post("/console/adapters/woo/connect", url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden || len(r.woo.Webhooks()) != 1 {
		t.Fatalf("forged CSRF: %d, webhooks %+v", res.StatusCode, r.woo.Webhooks())
	}
	res, page := web.post("/console/adapters/woo/connect", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("connect: %d\n%s", res.StatusCode, page)
	}
	for _, want := range []string{
		`data-topic="order.created" data-value="created">order.created: Created</li>`,
		`data-topic="order.updated" data-value="reactivated">order.updated: Re-activated</li>`,
		`href="/console/adapters/woo"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("result page lacks %q:\n%s", want, page)
		}
	}
	hooks := r.woo.Webhooks()
	if len(hooks) != 2 || hooks[0].ID != disabled || hooks[0].Status != "active" || hooks[1].Topic != "order.created" ||
		hooks[1].DeliveryURL != hookURL || hooks[1].Status != "active" {
		t.Fatalf("webhooks after connect: %+v", hooks)
	}
	// The dashboard now shows both active, as connect recorded them.
	if _, page := web.get("/console/adapters/woo"); strings.Count(page, `<span data-value="ok" title="ok">Active</span>`) != 2 {
		t.Errorf("dashboard after connect:\n%s", page)
	}
	_, page = web.post("/console/adapters/woo/connect", url.Values{"csrf": {csrf}})
	if strings.Count(page, `data-value="ok">`) != 2 || len(r.woo.Webhooks()) != 2 {
		t.Fatalf("second connect: %d webhooks\n%s", len(r.woo.Webhooks()), page)
	}

	// A topic the platform refuses is a failed line; the others go on.
	r.woo.AddWebhook("order.created", "https://elsewhere.example/hook", "active") // not ours: ignored
	disableWebhook(t, r.woo, disabled)
	r.woo.Fail(wootest.UpdateWebhook, wootest.Answer{Status: http.StatusBadRequest})
	_, page = web.post("/console/adapters/woo/connect", url.Values{"csrf": {csrf}})
	if !strings.Contains(page, `data-topic="order.updated" data-value="failed: `) || !strings.Contains(page, "order.updated: Failed: ") ||
		!strings.Contains(page, `id="connect-outcome"`) || !strings.Contains(page, "could not be put in place") {
		t.Fatalf("failed topic:\n%s", page)
	}

	// Another adapter's page and twin are 404, and Shopify is not called.
	if res, _ := web.post("/console/adapters/shop/connect", url.Values{"csrf": {csrf}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("woo session on shop's connect: %d", res.StatusCode)
	}
	if code, body := r.do(t, "POST", "/v1/adapters/shop/connect", "tok-woo", ""); code != http.StatusNotFound {
		t.Errorf("woo token on shop's connect twin: %d %s", code, body)
	}
	if n := len(r.shop.AllCalls()); n != 0 {
		t.Fatalf("shopify was called %d times", n)
	}

	// The twin, with Shopify's own merchant token: six subscriptions created.
	code, body := r.do(t, "POST", "/v1/adapters/shop/connect", "tok-shop", "")
	var got merchant.ConnectResult
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || got.Failed || len(got.Subscriptions) != 6 {
		t.Fatalf("shop connect twin: %d %s", code, body)
	}
	for _, s := range got.Subscriptions {
		if s.Result != "created" {
			t.Errorf("%s: %s", s.Topic, s.Result)
		}
	}
	if subs := r.shop.Subscriptions(); len(subs) != 6 || subs[0].URI != pubURL+"/webhooks/shop/orders" {
		t.Fatalf("shopify subscriptions: %+v", subs)
	}
	// A platform without subscriptions of its own has no Connect.
	if code, _ := r.do(t, "POST", "/v1/adapters/shop-a/connect", adminToken, ""); code != http.StatusNotFound {
		t.Errorf("aliexpress connect twin: %d", code)
	}
}

// disableWebhook disables a webhook as WooCommerce does, through its API.
func disableWebhook(t *testing.T, woo *wootest.Server, id int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, woo.URL+"/wp-json/wc/v3/webhooks/"+strconv.Itoa(id), strings.NewReader(`{"status":"disabled"}`))
	req.SetBasicAuth(wooKey, wooCS)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("disable webhook %d: %d", id, res.StatusCode)
	}
}

// Without public_url the button is off and says what to set; pressing it
// anyway (a stale page) explains the same and calls nobody.
func TestConnectWithoutPublicURL(t *testing.T) {
	t.Parallel()
	r := newBoundaryRig(t, "")
	web := newBrowser(t, r.rig)
	web.signIn("tok-shop")
	_, page := web.get("/console/adapters/shop")
	if !strings.Contains(page, `<button id="connect" disabled`) || !strings.Contains(page, "Connect needs public_url") {
		t.Fatalf("page without public_url:\n%s", page)
	}
	res, page := web.post("/console/adapters/shop/connect", url.Values{"csrf": {csrfOf(t, page)}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(page, "Connect needs public_url") {
		t.Fatalf("connect without public_url: %d\n%s", res.StatusCode, page)
	}
	code, body := r.do(t, "POST", "/v1/adapters/shop/connect", "tok-shop", "")
	if code != http.StatusConflict || !strings.Contains(body, "not-configured") || !strings.Contains(body, "public_url") {
		t.Fatalf("twin without public_url: %d %s", code, body)
	}
	if n := len(r.shop.AllCalls()); n != 0 {
		t.Fatalf("shopify was called %d times", n)
	}
}
