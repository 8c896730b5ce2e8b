package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

// Nothing missed at the platform boundary (docs/API.md §13): the live
// check at decision time, the reconciliation poll, the subscriptions.

// fakeShopOrder is the fake Admin API's state of an order shopifyOrder
// also sends as a webhook: paid, fulfilled or not, updated at updated.
func fakeShopOrder(id string, fulfilled bool, created, updated time.Time) shopifytest.Order {
	o := shopifytest.Order{
		ID: id, CreatedAt: created, UpdatedAt: updated, FinancialStatus: "PAID", FulfillmentStatus: "UNFULFILLED",
		Currency: "USD", Total: "388.0", CustomerID: "115310627314723954",
		Lines: []shopifytest.Line{{ID: "866550311766439020", SKU: "IPOD2008PINK", Quantity: 2, Price: "194.0"}},
	}
	if fulfilled {
		o.FulfillmentStatus = "FULFILLED"
		o.Fulfillments = [][2]string{{"SUCCESS", "IN_TRANSIT"}}
	}
	return o
}

// shopBoundaryRig is a serve on one Shopify adapter "shop" with relay
// secrets and reconcile as given, on a fake Admin API.
func shopBoundaryRig(t *testing.T, reconcile string, procs ...string) (*shopifytest.Server, []*service, string) {
	t.Helper()
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	rs := startRedis(t)
	extra := fmt.Sprintf("    shop: %s\n    relay_secrets: [%q]\n    reconcile: %s\n    retry: {max_attempts: 3, base_delay: 100ms, max_delay: 2s}\n", testShopDomain, secret, reconcile)
	cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: "shop", platform: "shopify", baseURL: shop.URL, extra: extra}}, "public_url: \"https://cancelsync.example.com/\"")
	if len(procs) == 0 {
		procs = []string{"serve"}
	}
	var ss []*service
	for i, mode := range procs {
		l := listen
		if i > 0 {
			l = freeAddr(t)
			cfg = withListen(t, cfg, listen, l)
		}
		ss = append(ss, start(t, mode, cfg, l))
	}
	return shop, ss, cfg
}

// withListen writes a copy of the config at path listening on to.
func withListen(t *testing.T, path, from, to string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := path + "." + strings.ReplaceAll(to, ":", "_") + ".yaml"
	if err := os.WriteFile(out, []byte(strings.Replace(string(raw), from, to, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func historyNotes(v map[string]any) string {
	var b strings.Builder
	hs, _ := v["history"].([]any)
	for _, h := range hs {
		m, _ := h.(map[string]any)
		fmt.Fprintf(&b, "%v|%v;", m["event"], m["note"])
	}
	return b.String()
}

// A Shopify order fulfilled a moment ago, whose webhook never came, is
// denied already_shipped: the live check reads it before the decision.
// An order the Admin API cannot show is decided on the stored snapshot,
// and the history says the live check failed.
func TestLiveCheckShopifySilentlyFulfilled(t *testing.T) {
	t.Parallel()
	shop, ss, _ := shopBoundaryRig(t, "{every: 0s}")
	s := ss[0]
	now := time.Now().UTC().Truncate(time.Second)
	placed := now.Add(-time.Hour)

	if code, out := postShopify(t, s, "shop", "orders/paid", shopifyOrder("5001", "paid", false, placed, now.Add(-10*time.Minute), nil), true); code != http.StatusAccepted {
		t.Fatalf("order: %d %v", code, out)
	}
	s.waitFor(t, "shop", "5001", "stored", func(v map[string]any) bool { return v["order"] != nil })
	shop.PutOrder(fakeShopOrder("5001", true, placed, now.Add(-time.Second)))
	s.accept(t, "shop", "cancellations", requestBody("5001", "rq-5001", "buyer", now))
	v := s.waitFor(t, "shop", "5001", "denied", func(v map[string]any) bool { return field(v, "cancellation", "state") == "denied" })
	if r := field(v, "cancellation", "denial_reason"); r != "already_shipped" {
		t.Fatalf("denial %v, want already_shipped: %v", r, v)
	}
	if st := field(v, "order", "status"); st != "shipped" {
		t.Fatalf("stored order %v, want shipped (the live read applied): %v", st, v)
	}
	if n := len(shop.Calls()); n != 0 {
		t.Fatalf("%d orderCancel calls for an order that shipped", n)
	}

	// Unknown to the Admin API: decided on the stored (unfulfilled) snapshot.
	if code, out := postShopify(t, s, "shop", "orders/paid", shopifyOrder("5002", "paid", false, placed, now, nil), true); code != http.StatusAccepted {
		t.Fatalf("order: %d %v", code, out)
	}
	s.waitFor(t, "shop", "5002", "stored", func(v map[string]any) bool { return v["order"] != nil })
	s.accept(t, "shop", "cancellations", requestBody("5002", "rq-5002", "buyer", now))
	v = s.waitFor(t, "shop", "5002", "cancelled", stateIs("cancelled", "synced"))
	if !strings.Contains(historyNotes(v), "live check failed") {
		t.Fatalf("history does not say the live check failed: %s", historyNotes(v))
	}
	m := opsScrape(t, s.url+"/metrics")
	if m[`cancelsync_live_checks_total{adapter="shop",result="newer"}`] != 1 || m[`cancelsync_live_checks_total{adapter="shop",result="failed"}`] != 1 {
		t.Fatalf("live check metrics: newer %v failed %v", m[`cancelsync_live_checks_total{adapter="shop",result="newer"}`], m[`cancelsync_live_checks_total{adapter="shop",result="failed"}`])
	}
}

// wooBoundaryRig is a serve on one WooCommerce adapter "woo" on a fake store.
func wooBoundaryRig(t *testing.T, reconcile string) (*service, *wootest.Server, string) {
	t.Helper()
	rs := startRedis(t)
	store := wootest.NewServer(wooKey, wooCS)
	t.Cleanup(store.Close)
	listen := freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nredis_url: %q\nadmin_token: %q\nshutdown_timeout: 10s\nworker_concurrency: 20\ntimer_resolution: 100ms\nlog_level: debug\npublic_url: \"https://cancelsync.example.com\"\nadapters:\n",
		listen, rs.URL(), adminToken)
	fmt.Fprintf(&b, "  - id: woo\n    platform: woocommerce\n    secrets: [%q]\n    relay_secrets: [%q]\n", wooSecret, secret)
	fmt.Fprintf(&b, "    api: {base_url: %q, consumer_key: %q, consumer_secret: %q, timeout: 2s}\n", store.URL, wooKey, wooCS)
	fmt.Fprintf(&b, "    reconcile: %s\n    retry: {max_attempts: 5, base_delay: 100ms, max_delay: 2s}\n", reconcile)
	path := writeFile(t, b.String())
	return start(t, "serve", path, listen), store, path
}

func writeFile(t *testing.T, s string) string {
	t.Helper()
	path := t.TempDir() + "/cancelsync.yaml"
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A WooCommerce order completed a moment ago, whose webhook never came, is
// denied already_shipped, not cancelled: nothing is sent but the note.
func TestLiveCheckWooSilentlyCompleted(t *testing.T) {
	t.Parallel()
	s, store, _ := wooBoundaryRig(t, "{every: 0s}")
	now := time.Now().UTC().Truncate(time.Second)
	s.acceptWoo(t, "woo", wooOrder(t, 3001, "pending", now.Add(-10*time.Minute)))
	s.waitFor(t, "woo", "3001", "stored", func(v map[string]any) bool { return v["order"] != nil })
	store.PutOrder(wooOrder(t, 3001, "completed", now.Add(-time.Second)))
	s.accept(t, "woo", "cancellations", requestBody("3001", "rq-3001", "buyer", now))
	v := s.waitFor(t, "woo", "3001", "denied", func(v map[string]any) bool { return field(v, "cancellation", "state") == "denied" })
	if st := field(v, "order", "status"); st != "completed" {
		t.Fatalf("stored order %v, want completed: %v", st, v)
	}
	if store.Status("3001") != "completed" || count(store.Calls(), wootest.UpdateOrder) != 0 || count(store.Calls(), wootest.CreateRefund) != 0 {
		t.Fatalf("the store was changed: status %s, calls %v", store.Status("3001"), routesOf(store.Calls()))
	}
}

// An update and a brand-new order that never came as webhooks appear
// within three polls; a restart keeps the mark; the poll waits out a 429.
func TestReconcileWooFindsMissedOrders(t *testing.T) {
	t.Parallel()
	s, store, path := wooBoundaryRig(t, "{every: 1s, overlap: 5s}")
	now := time.Now().UTC().Truncate(time.Second)
	s.acceptWoo(t, "woo", wooOrder(t, 3101, "pending", now.Add(-time.Hour)))
	s.waitFor(t, "woo", "3101", "stored", func(v map[string]any) bool { return v["order"] != nil })
	waitMetric := func(s *service, series string, atLeast float64) {
		t.Helper()
		if !poll(10*time.Second, 50*time.Millisecond, func() bool { return opsScrape(t, s.url+"/metrics")[series] >= atLeast }) {
			t.Fatalf("%s never reached %v", series, atLeast)
		}
	}
	waitMetric(s, `cancelsync_reconcile_last_success_timestamp_seconds{adapter="woo"}`, float64(now.Unix()))

	// One 429 before the next listing: waited out, nothing lost.
	store.Fail(wootest.ListOrders, wootest.Answer{Status: http.StatusTooManyRequests, Header: wootest.RetryAfter(time.Second)})
	later := time.Now().UTC().Truncate(time.Second)
	store.PutOrder(wooOrder(t, 3101, "processing", later))
	store.PutOrder(wooOrder(t, 3102, "processing", later))
	s.waitFor(t, "woo", "3101", "the update", func(v map[string]any) bool { return field(v, "order", "status") == "paid" })
	v := s.waitFor(t, "woo", "3102", "the new order", func(v map[string]any) bool { return field(v, "order", "status") == "paid" })
	m := opsScrape(t, s.url+"/metrics")
	if m[`cancelsync_reconciled_orders_total{adapter="woo",result="applied"}`] < 1 || m[`cancelsync_reconciled_orders_total{adapter="woo",result="new"}`] != 1 {
		t.Fatalf("reconciled metrics: %v", m)
	}

	// Restart: the mark is in Redis, so the next poll starts from it and
	// finds what changed while the process was down.
	if code := s.stop(); code != 0 {
		t.Fatalf("stop: exit %d", code)
	}
	store.PutOrder(wooOrder(t, 3103, "on-hold", time.Now().UTC().Truncate(time.Second)))
	s2 := start(t, "serve", path, strings.TrimPrefix(s.url, "http://"))
	s2.waitFor(t, "woo", "3103", "found after the restart", func(v map[string]any) bool { return field(v, "order", "status") == "placed" })
	if n := len(v["history"].([]any)); n != 1 {
		t.Fatalf("order 3102 applied %d times", n)
	}
	if v := s2.view(t, "woo", "3102"); len(v["history"].([]any)) != 1 {
		t.Fatalf("order 3102 applied again after the restart: %v", v["history"])
	}
}

// connect creates the Woo webhooks, then reports ok and changes nothing;
// a webhook WooCommerce disabled is re-activated by connect and by the poll.
func TestConnectWooAndReactivate(t *testing.T) {
	t.Parallel()
	s, store, path := wooBoundaryRig(t, "{every: 1s}")
	const url = "https://cancelsync.example.com/webhooks/woo/orders"
	code, out := runCLI(t, "connect", "woo", "--config", path)
	if code != 0 || out != "order.created: created\norder.updated: created\n" {
		t.Fatalf("connect: exit %d\n%s", code, out)
	}
	hooks := store.Webhooks()
	if len(hooks) != 2 || hooks[0].DeliveryURL != url || hooks[0].Secret != wooSecret || hooks[0].Status != "active" {
		t.Fatalf("webhooks: %+v", hooks)
	}
	code, out = runCLI(t, "connect", "woo", "--config", path)
	if code != 0 || out != "order.created: ok\norder.updated: ok\n" || len(store.Webhooks()) != 2 {
		t.Fatalf("second connect: exit %d\n%s\n%+v", code, out, store.Webhooks())
	}
	// WooCommerce disables a webhook after five failed deliveries.
	before := count(store.Calls(), wootest.UpdateWebhook)
	disable(t, store, hooks[1].ID)
	if !poll(10*time.Second, 50*time.Millisecond, func() bool { return store.Webhooks()[1].Status == "active" }) {
		t.Fatalf("the poll did not re-activate the disabled webhook: %+v", store.Webhooks())
	}
	if count(store.Calls(), wootest.UpdateWebhook) != before+2 { // one to disable, one to re-activate
		t.Fatalf("webhook updates: %v", routesOf(store.Calls()))
	}
	m := opsScrape(t, s.url+"/metrics")
	if !poll(5*time.Second, 50*time.Millisecond, func() bool {
		m = opsScrape(t, s.url+"/metrics")
		return m[`cancelsync_webhook_subscriptions{adapter="woo",state="ok"}`] == 2
	}) {
		t.Fatalf("subscriptions metric: %v", m)
	}
}

// disable disables a webhook as WooCommerce does, through its own API.
func disable(t *testing.T, store *wootest.Server, id int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/wp-json/wc/v3/webhooks/%d", store.URL, id), strings.NewReader(`{"status":"disabled"}`))
	req.SetBasicAuth(wooKey, wooCS)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("disable: %v %v", err, resp)
	}
	resp.Body.Close()
}

// connect on Shopify creates the six orders/* subscriptions, then reports
// them ok; the poll pages through the orders within the cost budget,
// waits out THROTTLED, and two processes polling one adapter apply each
// order once.
func TestShopifyConnectAndPollInTwoProcesses(t *testing.T) {
	t.Parallel()
	shop, ss, cfg := shopBoundaryRig(t, "{every: 1s, overlap: 5s}", "serve", "worker")
	code, out := runCLI(t, "connect", "shop", "--config", cfg)
	want := "orders/create: created\norders/updated: created\norders/paid: created\norders/fulfilled: created\norders/partially_fulfilled: created\norders/cancelled: created\n"
	if code != 0 || out != want {
		t.Fatalf("connect: exit %d\n%s", code, out)
	}
	subs := shop.Subscriptions()
	if len(subs) != 6 || subs[0].URI != "https://cancelsync.example.com/webhooks/shop/orders" || subs[0].Format != "JSON" || subs[0].Topic != "ORDERS_CREATE" {
		t.Fatalf("subscriptions: %+v", subs)
	}
	if code, out := runCLI(t, "connect", "shop", "--config", cfg); code != 0 || strings.Count(out, ": ok\n") != 6 || len(shop.Subscriptions()) != 6 {
		t.Fatalf("second connect: exit %d\n%s", code, out)
	}

	// A small bucket: 25 orders take three pages of ten, and the poll
	// must wait for the bucket between them; one THROTTLED is scripted.
	shop.SetBucket(shopifytest.Bucket{Max: 1000, Restore: 2000})
	shop.ScriptReads(shopifytest.ThrottledAnswer)
	now := time.Now().UTC().Truncate(time.Second)
	for i := range 25 {
		shop.PutOrder(fakeShopOrder(fmt.Sprint(6000+i), false, now.Add(-time.Hour), now))
	}
	s := ss[0]
	for i := range 25 {
		s.waitFor(t, "shop", fmt.Sprint(6000+i), "found by the poll", func(v map[string]any) bool { return v["order"] != nil })
	}
	// Let several more polls (by either process) go by: nothing is applied twice.
	time.Sleep(3 * time.Second)
	for i := range 25 {
		v := s.view(t, "shop", fmt.Sprint(6000+i))
		if n := len(v["history"].([]any)); n != 1 {
			t.Fatalf("order %d has %d history entries: %v", 6000+i, n, v["history"])
		}
	}
}
