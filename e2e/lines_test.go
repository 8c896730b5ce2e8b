package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

// withLines is a cancellation.requested body for some lines: pairs of line
// id and quantity.
func withLines(body map[string]any, pairs ...any) map[string]any {
	var ls []any
	for i := 0; i < len(pairs); i += 2 {
		ls = append(ls, map[string]any{"line_id": pairs[i], "quantity": pairs[i+1]})
	}
	body["data"].(map[string]any)["lines"] = ls
	return body
}

// lineOf is the view's item with line id.
func lineOf(v map[string]any, id string) map[string]any {
	items, _ := field(v, "order", "items").([]any)
	for _, it := range items {
		if m := it.(map[string]any); m["line_id"] == id {
			return m
		}
	}
	return nil
}

func viewLines(v map[string]any) string {
	b, _ := json.Marshal(field(v, "cancellation", "lines"))
	return string(b)
}

// cancelledAt waits until the order's shown request is requestID,
// cancelled and synced.
func cancelledAt(t *testing.T, s *service, adapter, orderID, requestID string) map[string]any {
	t.Helper()
	return s.waitFor(t, adapter, orderID, requestID+" cancelled and synced", func(v map[string]any) bool {
		return field(v, "cancellation", "request_id") == requestID && stateIs("cancelled", "synced")(v)
	})
}

// TestLinesSelfService cancels one line of a three-line order, then
// another through the console's twin, on the real binary. The merchant's
// endpoint takes each line's PUT and loses its answer (500) once: each
// retry carries the same Idempotency-Key, so each line is one refund.
func TestLinesSelfService(t *testing.T) {
	t.Parallel()
	lost := map[string]bool{}
	r := selfService(t, "ss-lines", func(_ int, p put, _ http.Header) int {
		if p.Body["lines"] != nil && !lost[p.IdempotencyKey] {
			lost[p.IdempotencyKey] = true
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}, "    retry: {max_attempts: 5, base_delay: 100ms, max_delay: 1s}\n")
	s := r.serve(t)
	const a, id = "ss-lines", "SS-3L"
	now := time.Now().UTC().Truncate(time.Second)
	s.accept(t, a, "orders", orderBody(id, "paid", now.Add(-time.Hour), now, map[string]any{
		"total": map[string]any{"amount": "57.40", "currency": "USD"},
		"items": []any{
			map[string]any{"sku": "JKT-M", "quantity": 1, "price": "42.50", "line_id": "li-1"},
			map[string]any{"sku": "TEE-L", "quantity": 2, "price": "5.95", "line_id": "li-2"},
			map[string]any{"sku": "SOCK", "quantity": 1, "price": "3.00", "line_id": "li-3"},
		},
	}))
	s.accept(t, a, "cancellations", withLines(requestBody(id, "r-1", "buyer", now), "li-2", 1))
	v := cancelledAt(t, s, a, id, "r-1")
	if got, want := viewLines(v), `[{"line_id":"li-2","quantity":1,"refund_amount":"5.95"}]`; got != want || field(v, "cancellation", "refund", "amount") != "5.95" {
		t.Errorf("r-1: lines %s refund %v, want %s", got, field(v, "cancellation", "refund"), want)
	}
	if field(v, "order", "status") != "paid" || lineOf(v, "li-2")["cancelled_quantity"] != 1.0 {
		t.Errorf("the order stays open with li-2's unit cancelled: %v", field(v, "order"))
	}

	// The merchant cancels another line from the console's JSON twin.
	raw, _ := json.Marshal(map[string]any{"reason": "other", "lines": []any{map[string]any{"line_id": "li-1", "quantity": 1}}})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/adapters/"+a+"/orders/"+id+"/cancellations", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	code, out := do(t, req)
	if code != http.StatusAccepted {
		t.Fatalf("console cancel: %d %v", code, out)
	}
	mc := fmt.Sprint(out["request_id"])
	v = cancelledAt(t, s, a, id, mc)
	if got, want := viewLines(v), `[{"line_id":"li-1","quantity":1,"refund_amount":"42.50"}]`; got != want {
		t.Errorf("%s: lines %s, want %s", mc, got, want)
	}

	// One key per cancelled line; every PUT of a key is the same refund.
	keys := map[string][]any{}
	for _, p := range r.p.received() {
		if p.OrderID == id && p.Body["lines"] != nil {
			keys[p.IdempotencyKey] = append(keys[p.IdempotencyKey], p.Body["refund"])
		}
	}
	if len(keys) != 2 {
		t.Fatalf("%d refunds, want 2: %v", len(keys), keys)
	}
	for k, rs := range keys {
		if len(rs) != 2 || fmt.Sprint(rs[0]) != fmt.Sprint(rs[1]) {
			t.Errorf("%s: %v, want the same refund sent twice (its answer lost once)", k, rs)
		}
	}
}

// shopifyLinesOrder is a paid REST order of three lines, the first
// partly fulfilled (fulfillable_quantity 1 of 2).
func shopifyLinesOrder(id string, created, updated time.Time) []byte {
	est := time.FixedZone("EST", -5*3600)
	return fmt.Appendf(nil, `{"id":%s,"admin_graphql_api_id":"gid://shopify/Order/%s","created_at":%q,"updated_at":%q,"cancelled_at":null,`+
		`"financial_status":"paid","fulfillment_status":"partial","currency":"USD","total_price":"447.00",`+
		`"customer":{"id":115310627314723954},`+
		`"line_items":[`+
		`{"id":866550311766439020,"sku":"IPOD2008PINK","variant_id":808950810,"quantity":2,"current_quantity":2,"fulfillable_quantity":1,"price":"199.00"},`+
		`{"id":141249953214522974,"sku":"IPOD2008BLACK","variant_id":808950811,"quantity":1,"current_quantity":1,"fulfillable_quantity":1,"price":"29.00"},`+
		`{"id":141249953214522975,"sku":"CASE","variant_id":808950812,"quantity":1,"current_quantity":1,"fulfillable_quantity":1,"price":"20.00"}],`+
		`"fulfillments":[{"id":255858046,"status":"success","shipment_status":"in_transit","created_at":%q}]}`,
		id, id, created.In(est).Format(time.RFC3339), updated.In(est).Format(time.RFC3339), updated.In(est).Format(time.RFC3339))
}

// TestLinesShopify cancels one line of a partly fulfilled order, then
// another: each is a suggestedRefund and a refundCreate @idempotent, and
// each refund's answer is lost after Shopify made it (a 500, then a
// dropped connection): the retry's key gets the same refund, so the store
// holds exactly one refund per cancelled line.
func TestLinesShopify(t *testing.T) {
	t.Parallel()
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	shop.Refunds.SetPrice("141249953214522974", "29.00")
	shop.Refunds.SetPrice("866550311766439020", "199.00")
	rs := startRedis(t)
	extra := fmt.Sprintf("    shop: %s\n    relay_secrets: [%q]\n    retry: {max_attempts: 5, base_delay: 100ms, max_delay: 1s}\n", testShopDomain, secret)
	cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: "shop-lines", platform: "shopify", baseURL: shop.URL, extra: extra}}, "")
	s := start(t, "serve", cfg, listen)
	const a, id = "shop-lines", "450789469"
	now := time.Now().UTC().Truncate(time.Second)
	if code, out := postShopify(t, s, a, "orders/partially_fulfilled", shopifyLinesOrder(id, now.Add(-time.Hour), now), true); code != http.StatusAccepted {
		t.Fatalf("order: %d %v", code, out)
	}

	shop.Refunds.LoseAnswers(shopifytest.Answer500)
	s.accept(t, a, "cancellations", withLines(requestBody(id, "rq-1", "buyer", now), "141249953214522974", 1))
	v := cancelledAt(t, s, a, id, "rq-1")
	if got, want := viewLines(v), `[{"line_id":"141249953214522974","quantity":1,"refund_amount":"29.00"}]`; got != want {
		t.Errorf("rq-1 lines %s, want %s", got, want)
	}
	if made := shop.Refunds.Made(); len(made) != 1 || made[0].Key != a+":rq-1:1" || made[0].Lines[0].RestockType != "CANCEL" || made[0].Amount != "29.00" {
		t.Fatalf("refunds after rq-1: %+v", made)
	}

	// The partly fulfilled line's unfulfilled unit; more than that is denied.
	shop.Refunds.LoseAnswers(shopifytest.DropConnection)
	s.accept(t, a, "cancellations", withLines(requestBody(id, "rq-2", "buyer", now), "866550311766439020", 1))
	cancelledAt(t, s, a, id, "rq-2")
	s.accept(t, a, "cancellations", withLines(requestBody(id, "rq-3", "buyer", now), "866550311766439020", 1))
	v = s.waitFor(t, a, id, "rq-3 denied", func(v map[string]any) bool { return field(newestRequest(v), "state") == "denied" })
	if field(newestRequest(v), "denial_reason") != "already_shipped" {
		t.Errorf("rq-3: %v", newestRequest(v))
	}
	made := shop.Refunds.Made()
	if len(made) != 2 || made[1].Key != a+":rq-2:2" || made[1].Amount != "199.00" {
		t.Fatalf("refunds: %+v, want one per cancelled line", made)
	}
	for _, c := range shop.Calls() {
		if bytes.Contains([]byte(c.Query), []byte("orderCancel")) {
			t.Errorf("an orderCancel was sent: lines never cancel the whole order here")
		}
	}
}

// TestLinesWooCommerce cancels line 315 of the REST docs' order, then line
// 316, as the merchant: each is one refund with line_items, whose answer
// is lost after WooCommerce made it (500); the retry finds it by its
// reason. The order's status is never touched.
func TestLinesWooCommerce(t *testing.T) {
	t.Parallel()
	s, store := wooRig(t, single)
	now := time.Now().UTC().Truncate(time.Second)
	const id = "7301"
	s.acceptWoo(t, "woo", wooOrder(t, 7301, "processing", now))

	store.Fail(wootest.CreateRefund, wootest.Answer{Status: http.StatusInternalServerError, Apply: true})
	s.accept(t, "woo", "cancellations", withLines(requestBody(id, "wl-1", "merchant", now), "315", 1))
	v := cancelledAt(t, s, "woo", id, "wl-1")
	if got, want := viewLines(v), `[{"line_id":"315","quantity":1,"refund_amount":"3.00"}]`; got != want {
		t.Errorf("wl-1 lines %s, want %s", got, want)
	}
	store.Fail(wootest.CreateRefund, wootest.Answer{Status: http.StatusInternalServerError, Apply: true})
	s.accept(t, "woo", "cancellations", withLines(requestBody(id, "wl-2", "merchant", now), "316", 1))
	v = cancelledAt(t, s, "woo", id, "wl-2")
	if lineOf(v, "315")["cancelled_quantity"] != 1.0 || lineOf(v, "316")["cancelled_quantity"] != 1.0 || field(v, "order", "status") != "paid" {
		t.Errorf("order %v", field(v, "order"))
	}
	refunds := store.Refunds(id)
	if len(refunds) != 2 {
		t.Fatalf("%d refunds, want one per cancelled line: %+v", len(refunds), refunds)
	}
	want := map[string]string{"cancelsync wl-1 v1": "3.00", "cancelsync wl-2 v2": "12.00"}
	for _, rf := range refunds {
		if want[rf.Reason] != rf.Amount || !rf.APIRefund || !rf.APIRestock || len(rf.LineItems) != 1 {
			t.Errorf("refund %+v", rf)
		}
	}
	if n := count(store.CallsFor(id), wootest.UpdateOrder); n != 0 {
		t.Errorf("%d status updates: a line cancel leaves the order open", n)
	}
	// The rest of the order: what is left of the total after the two line
	// refunds (29.35 − 15.00), not less because of them.
	s.accept(t, "woo", "cancellations", requestBody(id, "wl-3", "merchant", now))
	v = cancelledAt(t, s, "woo", id, "wl-3")
	if got := field(v, "cancellation", "refund", "amount"); got != "14.35" {
		t.Errorf("wl-3 refund %v, want 14.35", got)
	}
	var posted []any
	for _, c := range store.CallsFor(id) {
		if c.Route == wootest.CreateRefund && c.Body["reason"] == "cancelsync wl-3" {
			posted = append(posted, c.Body["amount"])
		}
	}
	if len(posted) != 1 || posted[0] != "14.35" {
		t.Errorf("wl-3 refund POSTs %v, want one of 14.35", posted)
	}
	if store.Status(id) != "cancelled" {
		t.Errorf("status %q after the whole order was cancelled", store.Status(id))
	}
}
