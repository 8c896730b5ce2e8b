package order

import (
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// The live check (docs/API.md §13): the order read from the platform just
// before a decision is applied first when it is newer, by the snapshot
// ordering rules; a failed read decides on the stored snapshot and says so.
func TestTransitionLiveCheck(t *testing.T) {
	t.Parallel()
	woo := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: woocommerce.Policy{}, Windows: woocommerce.Defaults()}
	stored := placed.Add(time.Minute)
	tests := []struct {
		name       string
		live       *platform.Order
		failed     bool
		wantState  platform.State
		wantResult LiveResult
		wantStatus platform.OrderStatus
		wantNote   string
	}{
		{name: "completed a second ago: denied, not cancelled", live: snapshot("o", platform.StatusCompleted, stored.Add(time.Hour)).Order,
			wantState: platform.Denied, wantResult: LiveNewer, wantStatus: platform.StatusCompleted},
		{name: "an older read changes nothing", live: snapshot("o", platform.StatusCompleted, stored.Add(-time.Second)).Order,
			wantState: platform.Cancelled, wantResult: LiveSame, wantStatus: platform.StatusPlaced},
		{name: "the same read changes nothing", live: snapshot("o", platform.StatusPlaced, stored).Order,
			wantState: platform.Cancelled, wantResult: LiveSame, wantStatus: platform.StatusPlaced},
		{name: "not read in time: the stored snapshot decides", failed: true,
			wantState: platform.Cancelled, wantResult: LiveFailed, wantStatus: platform.StatusPlaced, wantNote: NoteLiveCheckFailed},
		{name: "no live read at all", wantState: platform.Cancelled, wantResult: LiveNone, wantStatus: platform.StatusPlaced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := &Doc{}
			now := time.Now()
			tr := &Transition{Doc: doc, OrderID: "o", Adapter: woo, OrderWait: time.Minute, Now: now}
			tr.ApplyDelivery("w1", now, snapshot("o", platform.StatusPlaced, stored))
			tr = &Transition{Doc: doc, OrderID: "o", Adapter: woo, OrderWait: time.Minute, Now: now, Live: tc.live, LiveFailed: tc.failed}
			tr.ApplyDelivery("w2", now, request("o", "rq", platform.Buyer))
			if r := doc.Request("rq"); r == nil || r.State != tc.wantState {
				t.Fatalf("request = %+v, want %s", r, tc.wantState)
			}
			if tr.LiveResult() != tc.wantResult || doc.Order.Status != tc.wantStatus {
				t.Fatalf("live %q order %s, want %q %s", tr.LiveResult(), doc.Order.Status, tc.wantResult, tc.wantStatus)
			}
			var notes []string
			for _, h := range doc.History {
				notes = append(notes, h.Note)
			}
			if got := strings.Contains(strings.Join(notes, "|"), NoteLiveCheckFailed); got != (tc.wantNote != "") {
				t.Fatalf("history notes %q", notes)
			}
			checkFormats(t, doc, woo, "o")
		})
	}
}

// TestMayDecideOnDelivery: the live read is worth it only for a delivery
// that can decide: a new request, not a replay of a delivery, nor a second
// request under an id the order has (it only gets a note).
func TestMayDecideOnDelivery(t *testing.T) {
	t.Parallel()
	woo := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: woocommerce.Policy{}, Windows: woocommerce.Defaults()}
	doc := &Doc{}
	tr := &Transition{Doc: doc, OrderID: "o", Adapter: woo, OrderWait: time.Minute, Now: time.Now()}
	tr.ApplyDelivery("w-snap", time.Now(), snapshot("o", platform.StatusPaid, placed))
	first := request("o", "cr-1", platform.Buyer)
	if !doc.MayDecideOnDelivery("w-1", first.Cancellation) {
		t.Fatal("a new request may decide")
	}
	tr.ApplyDelivery("w-1", time.Now(), first)
	if doc.MayDecideOnDelivery("w-1", first.Cancellation) {
		t.Error("a replay of the delivery may decide")
	}
	if doc.MayDecideOnDelivery("w-2", first.Cancellation) {
		t.Error("a second request under the same id may decide")
	}
	if !doc.MayDecideOnDelivery("w-3", request("o", "cr-2", platform.Buyer).Cancellation) {
		t.Error("another new request may not decide")
	}
}
