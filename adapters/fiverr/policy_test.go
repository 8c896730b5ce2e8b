package fiverr_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/fiverr"
)

var (
	rules    = fiverr.Platform.Rules
	defaults = fiverr.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(26 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
)

func order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{
		ID: "FO-77A", Status: status, PlacedAt: placedAt, UpdatedAt: placedAt,
		BuyerID: "b-17", SellerID: "s-4", Total: adapters.Money{Amount: "250.00", Currency: "GBP"},
	}
}

// withRequirements is o after the buyer submitted the order's requirements.
func withRequirements(o adapters.Order) adapters.Order {
	o.RequirementsSubmitted = true
	return o
}

// withWork is o after the seller delivered work.
func withWork(o adapters.Order) adapters.Order {
	o.WorkDelivered = true
	return o
}

func request(initiator adapters.Party, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: "FO-77A", RequestID: "cr-42",
		Initiator: initiator, Reason: "buyer_unresponsive", OccurredAt: at,
	}
}

// pendingRequest is a request of initiator stored as waiting for the other side.
func pendingRequest(initiator adapters.Party) adapters.Request {
	return adapters.Request{RequestID: "cr-42", Initiator: initiator, Reason: "buyer_unresponsive", OccurredAt: askedAt, Outcome: adapters.Pending(due)}
}

func decided(out adapters.Outcome) adapters.Request {
	return adapters.Request{RequestID: "cr-42", Initiator: adapters.Seller, Reason: "buyer_unresponsive", OccurredAt: askedAt, Outcome: out}
}

func response(responder adapters.Party, d adapters.Decision, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{Type: adapters.CancellationResponded, OrderID: "FO-77A", RequestID: "cr-42", OccurredAt: at, Decision: d, Responder: responder}
}

func cancelled(affectsSellerStats bool) adapters.Outcome {
	return adapters.Outcome{
		State:              adapters.Cancelled,
		Refund:             &adapters.Refund{Method: adapters.OriginalPayment, Amount: "250.00", Currency: "GBP"},
		AffectsSellerStats: affectsSellerStats,
	}
}

var escalated = adapters.Outcome{State: adapters.Escalated}

// wire shows an outcome as the sync payload would, so a failure reads plainly.
func wire(t *testing.T, o adapters.Outcome) string {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	if fiverr.Platform.Name != "fiverr" {
		t.Errorf("Name = %q", fiverr.Platform.Name)
	}
	if want := (adapters.Windows{ResponseWindow: 48 * time.Hour}); defaults != want {
		t.Errorf("Defaults = %+v, want %+v", defaults, want)
	}
}

func TestRequest(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		order     adapters.Order
		initiator adapters.Party
		at        time.Time
		otherOpen bool
		windows   *adapters.Windows // nil: the platform's defaults
		now       time.Time         // zero: at, processed as it happened
		want      adapters.Outcome
	}{
		{name: "buyer, placed", order: order(adapters.StatusPlaced), initiator: adapters.Buyer, at: askedAt, want: adapters.Pending(due)},
		{name: "buyer, paid", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, want: adapters.Pending(due)},
		{name: "seller, paid", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: askedAt, want: adapters.Pending(due)},
		{name: "merchant, requirements submitted", order: withRequirements(order(adapters.StatusPaid)), initiator: adapters.Merchant, at: askedAt, want: adapters.Pending(due)},
		{name: "no cancel window", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(30 * 24 * time.Hour), want: adapters.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{name: "delivered does not block", order: order(adapters.StatusDelivered), initiator: adapters.Buyer, at: askedAt, want: adapters.Pending(due)},
		{name: "delivered work does not block", order: withWork(order(adapters.StatusPaid)), initiator: adapters.Seller, at: askedAt, want: adapters.Pending(due)},

		{name: "completed", order: order(adapters.StatusCompleted), initiator: adapters.Buyer, at: askedAt, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "shipped", order: order(adapters.StatusShipped), initiator: adapters.Seller, at: askedAt, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "cancelled order", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: askedAt, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled order with another open", order: order(adapters.StatusCancelled), initiator: adapters.Seller, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "another request open", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "another request open, delivered", order: order(adapters.StatusDelivered), initiator: adapters.Seller, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},

		{name: "processed 1ns before respond_by", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, now: due.Add(-1), want: adapters.Pending(due)},
		{name: "processed at respond_by: support", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, now: due, want: escalated},
		{name: "processed after respond_by, seller with requirements: support", order: withRequirements(order(adapters.StatusPaid)), initiator: adapters.Seller, at: askedAt, now: due.Add(time.Hour), want: escalated},

		{name: "override 24h", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: askedAt, windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, want: adapters.Pending(askedAt.Add(24 * time.Hour))},
		{name: "override 24h: timed out at 24h", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: askedAt, windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, now: askedAt.Add(24 * time.Hour), want: escalated},
		{name: "override 96h: still pending at 48h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{ResponseWindow: 96 * time.Hour}, now: due, want: adapters.Pending(askedAt.Add(96 * time.Hour))},
		{name: "cancel window is not used", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, want: adapters.Pending(due)},
		{name: "zero window falls back to 48h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{}, want: adapters.Pending(due)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			w := defaults
			if tt.windows != nil {
				w = *tt.windows
			}
			now := tt.now
			if now.IsZero() {
				now = tt.at
			}
			got := adapters.DecideRequest(rules, w, tt.order, request(tt.initiator, tt.at), tt.otherOpen, now)
			if g, wt := wire(t, got), wire(t, tt.want); g != wt {
				t.Errorf("got %s\nwant %s", g, wt)
			}
		})
	}
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	paid := order(adapters.StatusPaid)
	tests := []struct {
		name    string
		order   adapters.Order // as it stands when the response is decided
		request adapters.Request
		resp    adapters.Cancellation
		want    adapters.Outcome
		ignored adapters.Ignored
	}{
		{name: "seller asks, buyer accepts", order: paid, request: pendingRequest(adapters.Seller), resp: response(adapters.Buyer, adapters.Accept, soon), want: cancelled(false)},
		{name: "buyer asks, seller accepts", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, soon), want: cancelled(false)},
		{name: "buyer asks, merchant accepts", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Merchant, adapters.Accept, soon), want: cancelled(false)},
		{name: "delivered order, accepted", order: withWork(order(adapters.StatusDelivered)), request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, soon), want: cancelled(false)},

		{name: "seller asks after requirements: counts against seller", order: withRequirements(paid), request: pendingRequest(adapters.Seller), resp: response(adapters.Buyer, adapters.Accept, soon), want: cancelled(true)},
		{name: "merchant asks after requirements: counts against seller", order: withRequirements(paid), request: pendingRequest(adapters.Merchant), resp: response(adapters.Buyer, adapters.Accept, soon), want: cancelled(true)},
		{name: "buyer asks after requirements: does not count", order: withRequirements(paid), request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, soon), want: cancelled(false)},
		{name: "requirements arrived while pending: the order at decision counts", order: withRequirements(paid), request: pendingRequest(adapters.Seller), resp: response(adapters.Buyer, adapters.Accept, due), want: cancelled(true)},

		{name: "buyer declines", order: withRequirements(paid), request: pendingRequest(adapters.Seller), resp: response(adapters.Buyer, adapters.Decline, soon), want: escalated},
		{name: "seller declines", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Decline, soon), want: escalated},
		{name: "declined exactly at respond_by", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Decline, due), want: escalated},

		{name: "1ns after respond_by", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, due.Add(1)), want: adapters.Pending(due), ignored: adapters.ResponseTooLate},
		{name: "buyer answers own request", order: paid, request: pendingRequest(adapters.Buyer), resp: response(adapters.Buyer, adapters.Accept, soon), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "seller answers own request", order: paid, request: pendingRequest(adapters.Seller), resp: response(adapters.Seller, adapters.Accept, soon), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "merchant answers seller's request", order: paid, request: pendingRequest(adapters.Seller), resp: response(adapters.Merchant, adapters.Decline, soon), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "seller answers merchant's request", order: paid, request: pendingRequest(adapters.Merchant), resp: response(adapters.Seller, adapters.Accept, soon), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "to a cancelled request", order: paid, request: decided(cancelled(false)), resp: response(adapters.Buyer, adapters.Decline, soon), want: cancelled(false), ignored: adapters.NotPending},
		{name: "to an escalated request", order: paid, request: decided(escalated), resp: response(adapters.Buyer, adapters.Accept, soon), want: escalated, ignored: adapters.NotPending},
		{name: "to a withdrawn request", order: paid, request: decided(adapters.Outcome{State: adapters.Withdrawn}), resp: response(adapters.Buyer, adapters.Accept, soon), want: adapters.Outcome{State: adapters.Withdrawn}, ignored: adapters.NotPending},
		{name: "to a denied request", order: paid, request: decided(adapters.Deny(adapters.RequestOpen)), resp: response(adapters.Buyer, adapters.Accept, soon), want: adapters.Deny(adapters.RequestOpen), ignored: adapters.NotPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideResponse(rules, tt.order, tt.request, tt.resp)
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q\nwant %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		order   adapters.Order
		request adapters.Request
		now     time.Time
		want    adapters.Outcome
		ok      bool
	}{
		{name: "1ns before respond_by", order: order(adapters.StatusPaid), request: pendingRequest(adapters.Buyer), now: due.Add(-1), want: adapters.Pending(due)},
		{name: "at respond_by: support", order: order(adapters.StatusPaid), request: pendingRequest(adapters.Buyer), now: due, want: escalated, ok: true},
		{name: "seller's request after requirements: support, no stats", order: withRequirements(order(adapters.StatusPaid)), request: pendingRequest(adapters.Seller), now: due.Add(time.Hour), want: escalated, ok: true},
		{name: "already cancelled", order: order(adapters.StatusPaid), request: decided(cancelled(true)), now: due.Add(time.Hour), want: cancelled(true)},
		{name: "already withdrawn", order: order(adapters.StatusPaid), request: decided(adapters.Outcome{State: adapters.Withdrawn}), now: due.Add(time.Hour), want: adapters.Outcome{State: adapters.Withdrawn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ok := adapters.DecideTimeout(rules, tt.order, tt.request, tt.now)
			if ok != tt.ok || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %v\nwant %s, %v", wire(t, got), ok, wire(t, tt.want), tt.ok)
			}
		})
	}
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		request adapters.Request
		want    adapters.Outcome
		ignored adapters.Ignored
	}{
		{name: "pending, buyer's", request: pendingRequest(adapters.Buyer), want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "pending, seller's", request: pendingRequest(adapters.Seller), want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "awaiting its order", request: decided(adapters.Outcome{State: adapters.AwaitingOrder}), want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "cancelled", request: decided(cancelled(true)), want: cancelled(true), ignored: adapters.WithdrawnByOther},
		{name: "escalated", request: decided(escalated), want: escalated, ignored: adapters.WithdrawnByOther},
		{name: "withdrawn", request: decided(adapters.Outcome{State: adapters.Withdrawn}), want: adapters.Outcome{State: adapters.Withdrawn}, ignored: adapters.WithdrawnByOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideWithdrawal(tt.request)
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q; want %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}
