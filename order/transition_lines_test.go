package order

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// threeLines is a paid three-line order: A 2 × 10.00, B 1 × 5.50,
// C 3 × 1.50, total 30.00.
func threeLines(status platform.OrderStatus, updated time.Time, fulfilled ...int) platform.Event {
	ev := snapshot("o", status, updated)
	ev.Order.Total.Amount = "30.00"
	ev.Order.Items = []platform.Item{
		{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00"},
		{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"},
		{SKU: "C", LineID: "lc", Quantity: 3, Price: "1.50"},
	}
	for i, f := range fulfilled {
		ev.Order.Items[i].Fulfilled = f
	}
	return ev
}

func lineRequest(id string, who platform.Party, pairs ...any) platform.Event {
	ev := request("o", id, who)
	for i := 0; i < len(pairs); i += 2 {
		ev.Cancellation.Lines = append(ev.Cancellation.Lines, platform.LineRequest{LineID: pairs[i].(string), Quantity: pairs[i+1].(int)})
	}
	return ev
}

// TestTransitionLines plays sequences of requests for lines on one order
// and checks each request's outcome, the lines' cancelled units and the
// order's standing: a request for some lines leaves the order open.
func TestTransitionLines(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	self := &platform.Adapter{ID: "ss", Platform: "selfservice", Rules: selfservice.Platform.Rules}
	woo := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: woocommerce.Policy{}, Windows: woocommerce.Defaults()}
	type want struct {
		state  platform.State
		denial platform.DenialReason
		refund string // "" for none
		lines  bool   // the request stays one for lines
	}
	tests := []struct {
		name   string
		ad     *platform.Adapter
		events []platform.Event
		want   []want // one per request, in order
		// the items' cancelled units after the last event
		cancelled   []int
		cancelledBy string
	}{
		{name: "one line, then another", ad: self,
			events: []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "la", 1), lineRequest("r2", platform.Buyer, "lb", 1)},
			want:   []want{{platform.Cancelled, "", "10.00", true}, {platform.Cancelled, "", "5.50", true}}, cancelled: []int{1, 1, 0}},
		{name: "the same units twice: the second is denied", ad: self,
			events: []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "la", 2), lineRequest("r2", platform.Merchant, "la", 1)},
			want:   []want{{platform.Cancelled, "", "20.00", true}, {platform.Denied, platform.AlreadyShipped, "", true}}, cancelled: []int{2, 0, 0}},
		{name: "the last open line cancels the order: what is left is refunded", ad: self,
			events:    []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "la", 2, "lc", 1), lineRequest("r2", platform.Buyer, "lb", 1, "lc", 2), lineRequest("r3", platform.Buyer, "lb", 1)},
			want:      []want{{platform.Cancelled, "", "21.50", true}, {platform.Cancelled, "", "8.50", false}, {platform.Denied, platform.AlreadyCancelled, "", true}},
			cancelled: []int{2, 0, 1}, cancelledBy: "r2"},
		{name: "the whole order after lines: what is left", ad: self,
			events: []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "lb", 1), request("o", "r2", platform.Buyer)},
			want:   []want{{platform.Cancelled, "", "5.50", true}, {platform.Cancelled, "", "24.50", false}}, cancelled: []int{0, 1, 0}, cancelledBy: "r2"},
		{name: "partly shipped: the unfulfilled line", ad: self,
			events: []platform.Event{threeLines(platform.StatusShipped, t0, 2), lineRequest("r1", platform.Buyer, "lb", 1), lineRequest("r2", platform.Buyer, "la", 1)},
			want:   []want{{platform.Cancelled, "", "5.50", true}, {platform.Denied, platform.AlreadyShipped, "", true}}, cancelled: []int{0, 1, 0}},
		{name: "units fulfilled after a cancel: the cancelled units stay counted", ad: self,
			events: []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "lc", 1), threeLines(platform.StatusShipped, t0.Add(time.Minute), 0, 0, 2), lineRequest("r2", platform.Buyer, "lc", 1)},
			want:   []want{{platform.Cancelled, "", "1.50", true}, {platform.Denied, platform.AlreadyShipped, "", true}}, cancelled: []int{0, 0, 1}},
		{name: "woocommerce: the buyer's lines wait for the merchant, accepted", ad: woo,
			events: []platform.Event{threeLines(platform.StatusPaid, t0), lineRequest("r1", platform.Buyer, "lc", 2), respond("o", "r1", platform.Merchant, platform.Accept)},
			want:   []want{{platform.Cancelled, "", "3.00", true}}, cancelled: []int{0, 0, 2}},
		{name: "woocommerce: lines of an unpaid order, no refund", ad: woo,
			events: []platform.Event{threeLines(platform.StatusPlaced, t0), lineRequest("r1", platform.Buyer, "la", 1)},
			want:   []want{{platform.Cancelled, "", "", true}}, cancelled: []int{1, 0, 0}},
		{name: "lines waiting for their order", ad: self,
			events: []platform.Event{lineRequest("r1", platform.Buyer, "lb", 1), threeLines(platform.StatusPaid, t0)},
			want:   []want{{platform.Cancelled, "", "5.50", true}}, cancelled: []int{0, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := &Doc{}
			for i, ev := range tc.events {
				if ev.Cancellation != nil {
					ev.Cancellation.OccurredAt = t0
				}
				tr := &Transition{Doc: doc, OrderID: "o", Adapter: tc.ad, OrderWait: time.Hour, Now: t0.Add(time.Duration(i) * time.Second)}
				tr.ApplyDelivery("w"+strconv.Itoa(i), tr.Now, ev)
			}
			if len(doc.Requests) != len(tc.want) {
				t.Fatalf("%d requests, want %d", len(doc.Requests), len(tc.want))
			}
			for i, w := range tc.want {
				r := doc.Requests[i]
				got := want{r.State, r.Denial, "", r.Partial()}
				if r.Refund != nil {
					got.refund = r.Refund.Amount
				}
				if got != w {
					t.Errorf("request %s: got %+v, want %+v", r.ID, got, w)
				}
			}
			var cancelled []int
			for _, it := range doc.Order.Items {
				cancelled = append(cancelled, it.Cancelled)
			}
			if g, w := strconv.Quote(jsonOf(t, cancelled)), strconv.Quote(jsonOf(t, tc.cancelled)); g != w {
				t.Errorf("cancelled units %s, want %s", g, w)
			}
			if doc.CancelledBy != tc.cancelledBy {
				t.Errorf("cancelled by %q, want %q", doc.CancelledBy, tc.cancelledBy)
			}
			checkFormats(t, doc, tc.ad, "o")
		})
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

// TestViewLines: the view shows each line's units and the cancellation's
// lines with their refunds.
func TestViewLines(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ad := &platform.Adapter{ID: "ss", Platform: "selfservice", Rules: selfservice.Platform.Rules}
	doc := &Doc{}
	for i, ev := range []platform.Event{threeLines(platform.StatusShipped, t0, 0, 0, 1), lineRequest("r1", platform.Buyer, "lc", 2)} {
		tr := &Transition{Doc: doc, OrderID: "o", Adapter: ad, Now: t0}
		tr.ApplyDelivery("w"+strconv.Itoa(i), t0, ev)
	}
	v := doc.View(ad, "o")
	items := jsonOf(t, v.Order.Items)
	if want := `[{"sku":"A","quantity":2,"price":"10.00","line_id":"la","fulfilled_quantity":0,"cancelled_quantity":0},{"sku":"B","quantity":1,"price":"5.50","line_id":"lb","fulfilled_quantity":0,"cancelled_quantity":0},{"sku":"C","quantity":3,"price":"1.50","line_id":"lc","fulfilled_quantity":1,"cancelled_quantity":2}]`; items != want {
		t.Errorf("items %s\nwant  %s", items, want)
	}
	if got, want := jsonOf(t, v.Cancellation.Lines), `[{"line_id":"lc","quantity":2,"refund_amount":"3.00"}]`; got != want {
		t.Errorf("lines %s, want %s", got, want)
	}
	if got, want := jsonOf(t, doc.Requests[0].Update("o").Lines), `[{"line_id":"lc","quantity":2,"refund_amount":"3.00"}]`; got != want {
		t.Errorf("update lines %s, want %s", got, want)
	}
	checkFormats(t, doc, ad, "o")
}
