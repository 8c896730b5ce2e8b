package order

import (
	"strconv"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// withoutLatePayment is a platform's rules without its LatePayment rule:
// the shared transition must add no refund on its own.
type withoutLatePayment struct{ platform.Rules }

// TestTransitionPaidAfterCancel: a cancellation decided without a refund
// because the order was unpaid gets the refund, as a new version synced
// once, when a newer snapshot says the order was paid after all
// (docs/GUARANTEES.md); every other later snapshot leaves it as it is.
func TestTransitionPaidAfterCancel(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	owed := &refund{Method: platform.OriginalPayment, Amount: "42.50", Currency: "USD"}
	const note = "order paid after its cancellation: refund added"
	tests := []struct {
		name  string
		rules platform.Rules
		who   platform.Party
		first platform.OrderStatus // the order when the request is decided
		later []platform.Event     // snapshots after the decision, in arrival order
		// the request after the last one
		wantVersion int64
		wantRefund  *refund
		wantSync    int64 // the last snapshot's sync effect
	}{
		{name: "unpaid, buyer cancels, then processing: refund added as v2", rules: woocommerce.Policy{}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusPaid, t0.Add(2*time.Minute))},
			wantVersion: 2, wantRefund: owed, wantSync: 2},
		{name: "unpaid, merchant cancels, then processing: refund added", rules: woocommerce.Policy{}, who: platform.Merchant,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusPaid, t0.Add(2*time.Minute))},
			wantVersion: 2, wantRefund: owed, wantSync: 2},
		{name: "processing twice: the refund is added once", rules: woocommerce.Policy{}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{
				snapshot("o", platform.StatusPaid, t0.Add(2*time.Minute)),
				snapshot("o", platform.StatusPlaced, t0.Add(3*time.Minute)),
				snapshot("o", platform.StatusPaid, t0.Add(4*time.Minute)),
			},
			wantVersion: 2, wantRefund: owed, wantSync: 0},
		{name: "processing older than the stored snapshot: ignored", rules: woocommerce.Policy{}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusPaid, t0.Add(-time.Minute))},
			wantVersion: 1, wantSync: 0},
		{name: "cancelled or refunded on the store: nothing owed", rules: woocommerce.Policy{}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusCancelled, t0.Add(2*time.Minute))},
			wantVersion: 1, wantSync: 0},
		{name: "shipped after the cancellation: the conflict, no refund", rules: woocommerce.Policy{}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusShipped, t0.Add(2*time.Minute))},
			wantVersion: 1, wantSync: 0},
		{name: "cancelled paid: refunded at once, a later processing adds nothing", rules: woocommerce.Policy{}, who: platform.Merchant,
			first: platform.StatusPaid, later: []platform.Event{snapshot("o", platform.StatusPaid, t0.Add(2*time.Minute))},
			wantVersion: 1, wantRefund: owed, wantSync: 0},
		{name: "a platform without the rule: shared code adds no refund", rules: withoutLatePayment{woocommerce.Policy{}}, who: platform.Buyer,
			first: platform.StatusPlaced, later: []platform.Event{snapshot("o", platform.StatusPaid, t0.Add(2*time.Minute))},
			wantVersion: 1, wantSync: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ad := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: tc.rules, Windows: woocommerce.Defaults()}
			doc := &Doc{}
			step := func(i int, ev platform.Event) Effects {
				tr := &Transition{Doc: doc, OrderID: "o", Adapter: ad, OrderWait: time.Minute, Now: t0.Add(time.Duration(i) * time.Minute)}
				tr.ApplyDelivery("w"+strconv.Itoa(i), tr.Now, ev)
				return tr.Effects()
			}
			step(0, snapshot("o", tc.first, t0))
			req := request("o", "cr-1", tc.who)
			req.Cancellation.OccurredAt = t0
			if eff := step(1, req); eff.Sync != 1 {
				t.Fatalf("the cancellation was not decided as v1: %+v", eff)
			}
			var last Effects
			for i, ev := range tc.later {
				last = step(2+i, ev)
			}
			r := doc.Request("cr-1")
			if r.State != platform.Cancelled || r.Version != tc.wantVersion || doc.Version != tc.wantVersion {
				t.Fatalf("request %s v%d (doc v%d), want cancelled v%d", r.State, r.Version, doc.Version, tc.wantVersion)
			}
			if (r.Refund == nil) != (tc.wantRefund == nil) || r.Refund != nil && *r.Refund != *tc.wantRefund {
				t.Fatalf("refund %+v, want %+v", r.Refund, tc.wantRefund)
			}
			if last.Sync != tc.wantSync {
				t.Fatalf("sync effect v%d, want v%d", last.Sync, tc.wantSync)
			}
			if len(last.Decided) != 0 {
				t.Fatalf("decisions %v: adding a refund is no new decision", last.Decided)
			}
			notes := 0
			for _, h := range doc.History {
				if h.Note == note {
					notes++
					if h.State != platform.Cancelled {
						t.Errorf("history entry %+v: want state cancelled", h)
					}
				}
			}
			if want := int(tc.wantVersion - 1); notes != want {
				t.Fatalf("%d history entries %q, want %d: %+v", notes, note, want, doc.History)
			}
			if u := r.Update("o"); tc.wantVersion == 2 && (u.Version != 2 || u.Refund == nil || u.Refund.Amount != "42.50") {
				t.Fatalf("update %+v", u)
			}
			checkFormats(t, doc, ad, "o")
		})
	}
}

// A line cancellation decided on an unpaid order is for those lines only,
// also once the order shows paid: never the order's total, the order
// stays open and the request keeps its lines (docs/API.md, "Cancelling
// some lines").
func TestTransitionPaidAfterLineCancel(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ad := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: woocommerce.Policy{}, Windows: woocommerce.Defaults()}
	doc := &Doc{}
	for i, ev := range []platform.Event{
		threeLines(platform.StatusPlaced, t0),
		lineRequest("r1", platform.Merchant, "la", 1),
		threeLines(platform.StatusPaid, t0.Add(2*time.Minute)),
	} {
		tr := &Transition{Doc: doc, OrderID: "o", Adapter: ad, OrderWait: time.Minute, Now: t0.Add(time.Duration(i) * time.Minute)}
		tr.ApplyDelivery("w"+strconv.Itoa(i), tr.Now, ev)
	}
	r := doc.Request("r1")
	if r.State != platform.Cancelled || !r.Partial() || len(r.Lines) != 1 || r.Domain().Lines[0].LineID != "la" || r.Domain().Lines[0].Quantity != 1 {
		t.Fatalf("request %s lines %+v: want the line cancellation kept", r.State, r.Lines)
	}
	if r.Refund != nil && r.Refund.Amount != "10.00" {
		t.Fatalf("refund %+v: a line is owed its price, never the order's total", r.Refund)
	}
	if doc.CancelledBy != "" {
		t.Fatalf("cancelled by %q: a line cancellation leaves the order open", doc.CancelledBy)
	}
	if u := r.Update("o"); u.Lines == nil || u.Refund != nil && u.Refund.Amount != "10.00" {
		t.Fatalf("update %+v", u)
	}
	checkFormats(t, doc, ad, "o")
}
