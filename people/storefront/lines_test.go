package storefront

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// lineOrder stores a paid two-line order of buyer b-1: A 2 × 10.00 (one
// fulfilled), B 1 × 22.50.
func (r *rig) lineOrder(t *testing.T, adapterID, orderID string) {
	t.Helper()
	r.apply(t, tasks.Delivery{AdapterID: adapterID, WebhookID: "snap-" + orderID, ReceivedAt: r.now, Event: platform.Event{Type: platform.OrderUpdated, Order: &platform.Order{
		ID: orderID, Status: platform.StatusShipped, PlacedAt: r.now.Add(-time.Hour), UpdatedAt: r.now.Add(-time.Minute), BuyerID: "b-1", SellerID: "s-1",
		Total: platform.Money{Amount: "42.50", Currency: "USD"},
		Items: []platform.Item{
			{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Fulfilled: 1},
			{SKU: "B", LineID: "lb", Quantity: 1, Price: "22.50"},
			{SKU: "GIFT", Quantity: 1, Price: "0.00"},
		},
	}}})
}

// GET lists the lines and what can be cancelled of each; POST queues a
// request for some of them, which the workers cancel; the next GET shows
// what is left.
func TestLines(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	r.lineOrder(t, "self", "o-l")
	tok := r.buyerToken(t, "b-1")

	got := r.do(t, r.router, http.MethodGet, path("self", "o-l"), tok, "", nil)
	if want := `[{"cancellable":1,"line_id":"la","quantity":2,"sku":"A"},{"cancellable":1,"line_id":"lb","quantity":1,"sku":"B"}]`; got.status != http.StatusOK || jsonOf(t, got.body["lines"]) != want {
		t.Fatalf("GET %d lines %s, want %s", got.status, jsonOf(t, got.body["lines"]), want)
	}
	if got.body["would"] != "denied" {
		t.Errorf("the whole, partly shipped order: would %v", got.body["would"])
	}

	post := r.do(t, r.router, http.MethodPost, path("self", "o-l"), tok, `{"reason":"changed_mind","lines":[{"line_id":"lb","quantity":1}]}`, nil)
	if post.status != http.StatusAccepted {
		t.Fatalf("POST %d %s", post.status, post.raw)
	}
	queued := r.pending(t)
	if len(queued) != 1 || fmt.Sprint(queued[0].Event.Cancellation.Lines) != "[{lb 1}]" {
		t.Fatalf("queued %+v", queued)
	}
	r.runPending(t)

	got = r.do(t, r.router, http.MethodGet, path("self", "o-l"), tok, "", nil)
	if want := `[{"cancellable":1,"line_id":"la","quantity":2,"sku":"A"},{"cancellable":0,"line_id":"lb","quantity":1,"sku":"B"}]`; jsonOf(t, got.body["lines"]) != want {
		t.Errorf("after: lines %s, want %s", jsonOf(t, got.body["lines"]), want)
	}
	if want := `[{"line_id":"lb","quantity":1,"refund_amount":"22.50"}]`; jsonOf(t, got.body["cancellation"].(map[string]any)["lines"]) != want {
		t.Errorf("cancellation %v", got.body["cancellation"])
	}
}

func TestLinesRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOpts{})
	r.lineOrder(t, "self", "o-l")
	r.lineOrder(t, "posh", "o-p")
	tok := r.buyerToken(t, "b-1")
	tests := []struct {
		adapter, orderID, body, field string
	}{
		{"self", "o-l", `{"reason":"changed_mind","lines":[]}`, "lines"},
		{"self", "o-l", `{"reason":"changed_mind","lines":[{"line_id":"la","quantity":0}]}`, "lines[0].quantity"},
		{"self", "o-l", `{"reason":"changed_mind","lines":[{"line_id":"la","quantity":1},{"line_id":"la","quantity":1}]}`, "lines[1].line_id"},
		{"posh", "o-p", `{"reason":"changed_mind","lines":[{"line_id":"la","quantity":1}]}`, "lines"},
	}
	for _, tt := range tests {
		got := r.do(t, r.router, http.MethodPost, path(tt.adapter, tt.orderID), tok, tt.body, nil)
		errs, _ := got.body["errors"].([]any)
		if got.status != http.StatusBadRequest || len(errs) == 0 || errs[0].(map[string]any)["field"] != tt.field {
			t.Errorf("%s %s: %d %s, want 400 naming %s", tt.adapter, tt.body, got.status, got.raw, tt.field)
		}
	}
	if n := len(r.pending(t)); n != 0 {
		t.Fatalf("%d queued", n)
	}
	// A platform that cancels whole orders lists no lines.
	if got := r.do(t, r.router, http.MethodGet, path("posh", "o-p"), tok, "", nil); jsonOf(t, got.body["lines"]) != `[]` {
		t.Errorf("posh lines %s", jsonOf(t, got.body["lines"]))
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
