package aliexpress_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/aliexpress"
)

var (
	rules    = aliexpress.Platform.Rules
	defaults = aliexpress.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(2 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
)

func order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{
		ID: "AE-3007", Status: status, PlacedAt: placedAt, UpdatedAt: placedAt,
		BuyerID: "b-17", SellerID: "s-4", Total: adapters.Money{Amount: "19.99", Currency: "EUR"},
	}
}

func request(initiator adapters.Party, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: "AE-3007", RequestID: "cr-7",
		Initiator: initiator, Reason: "shipping_delay", OccurredAt: at,
	}
}

// pendingRequest is a buyer's request stored as waiting for the seller.
func pendingRequest(initiator adapters.Party) adapters.Request {
	return adapters.Request{RequestID: "cr-7", Initiator: initiator, Reason: "shipping_delay", OccurredAt: askedAt, Outcome: adapters.Pending(due)}
}

func response(responder adapters.Party, d adapters.Decision, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{Type: adapters.CancellationResponded, OrderID: "AE-3007", RequestID: "cr-7", OccurredAt: at, Decision: d, Responder: responder}
}

var (
	cancelled = adapters.Outcome{State: adapters.Cancelled, Refund: &adapters.Refund{Method: adapters.OriginalPayment, Amount: "19.99", Currency: "EUR"}}
	escalated = adapters.Outcome{State: adapters.Escalated}
)

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

	if aliexpress.Platform.Name != "aliexpress" {
		t.Errorf("Name = %q", aliexpress.Platform.Name)
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
		{name: "buyer has no cancel window", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(30 * 24 * time.Hour), want: adapters.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{name: "seller cancels at once", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: askedAt, want: cancelled},
		{name: "merchant is the seller", order: order(adapters.StatusPlaced), initiator: adapters.Merchant, at: askedAt, want: cancelled},

		{name: "buyer, shipped", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: askedAt, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "seller, shipped", order: order(adapters.StatusShipped), initiator: adapters.Seller, at: askedAt, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "delivered", order: order(adapters.StatusDelivered), initiator: adapters.Buyer, at: askedAt, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "completed", order: order(adapters.StatusCompleted), initiator: adapters.Seller, at: askedAt, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "cancelled order", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: askedAt, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled order with another open", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "another request open", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "another request open, seller", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: askedAt, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},

		{name: "processed 1ns before respond_by", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, now: due.Add(-1), want: adapters.Pending(due)},
		{name: "processed exactly at respond_by: auto-approved", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, now: due, want: cancelled},
		{name: "processed after respond_by: auto-approved", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, now: due.Add(time.Hour), want: cancelled},
		{name: "late, but shipped", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: askedAt, now: due.Add(time.Hour), want: adapters.Deny(adapters.AlreadyShipped)},

		{name: "override 24h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, want: adapters.Pending(askedAt.Add(24 * time.Hour))},
		{name: "override 24h: timed out at 24h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, now: askedAt.Add(24 * time.Hour), want: cancelled},
		{name: "override 96h: still pending at 48h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: askedAt, windows: &adapters.Windows{ResponseWindow: 96 * time.Hour}, now: due, want: adapters.Pending(askedAt.Add(96 * time.Hour))},
		{name: "cancel window is not used", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(5 * time.Hour), windows: &adapters.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, want: adapters.Pending(placedAt.Add(53 * time.Hour))},
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
			if got.AffectsSellerStats {
				t.Error("affects_seller_stats is true; AliExpress never sets it")
			}
		})
	}
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	tests := []struct {
		name    string
		request adapters.Request
		resp    adapters.Cancellation
		want    adapters.Outcome
		ignored adapters.Ignored
	}{
		{name: "seller accepts", request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, soon), want: cancelled},
		{name: "merchant accepts", request: pendingRequest(adapters.Buyer), resp: response(adapters.Merchant, adapters.Accept, soon), want: cancelled},
		{name: "seller declines: dispute", request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Decline, soon), want: escalated},
		{name: "accepted exactly at respond_by", request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Accept, due), want: cancelled},
		{name: "declined exactly at respond_by", request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Decline, due), want: escalated},

		{name: "1ns after respond_by", request: pendingRequest(adapters.Buyer), resp: response(adapters.Seller, adapters.Decline, due.Add(1)), want: adapters.Pending(due), ignored: adapters.ResponseTooLate},
		{name: "buyer answers own request", request: pendingRequest(adapters.Buyer), resp: response(adapters.Buyer, adapters.Accept, soon), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "to a cancelled request", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: cancelled}, resp: response(adapters.Seller, adapters.Decline, soon), want: cancelled, ignored: adapters.NotPending},
		{name: "to an escalated request", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: escalated}, resp: response(adapters.Seller, adapters.Accept, soon), want: escalated, ignored: adapters.NotPending},
		{name: "to a withdrawn request", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: adapters.Outcome{State: adapters.Withdrawn}}, resp: response(adapters.Seller, adapters.Accept, soon), want: adapters.Outcome{State: adapters.Withdrawn}, ignored: adapters.NotPending},
		{name: "to a request awaiting its order", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: adapters.Outcome{State: adapters.AwaitingOrder}}, resp: response(adapters.Seller, adapters.Accept, soon), want: adapters.Outcome{State: adapters.AwaitingOrder}, ignored: adapters.NotPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideResponse(rules, order(adapters.StatusPaid), tt.request, tt.resp)
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
		request adapters.Request
		now     time.Time
		want    adapters.Outcome
		ok      bool
	}{
		{name: "1ns before respond_by", request: pendingRequest(adapters.Buyer), now: due.Add(-1), want: adapters.Pending(due)},
		{name: "at respond_by: auto-approved", request: pendingRequest(adapters.Buyer), now: due, want: cancelled, ok: true},
		{name: "long after respond_by: auto-approved", request: pendingRequest(adapters.Buyer), now: due.Add(72 * time.Hour), want: cancelled, ok: true},
		{name: "already escalated", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: escalated}, now: due.Add(time.Hour), want: escalated},
		{name: "already withdrawn", request: adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: adapters.Outcome{State: adapters.Withdrawn}}, now: due.Add(time.Hour), want: adapters.Outcome{State: adapters.Withdrawn}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ok := adapters.DecideTimeout(rules, order(adapters.StatusPaid), tt.request, tt.now)
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
		state   adapters.Outcome
		want    adapters.Outcome
		ignored adapters.Ignored
	}{
		{name: "pending", state: adapters.Pending(due), want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "awaiting its order", state: adapters.Outcome{State: adapters.AwaitingOrder}, want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "cancelled", state: cancelled, want: cancelled, ignored: adapters.WithdrawnByOther},
		{name: "escalated", state: escalated, want: escalated, ignored: adapters.WithdrawnByOther},
		{name: "denied", state: adapters.Deny(adapters.AlreadyShipped), want: adapters.Deny(adapters.AlreadyShipped), ignored: adapters.WithdrawnByOther},
		{name: "withdrawn", state: adapters.Outcome{State: adapters.Withdrawn}, want: adapters.Outcome{State: adapters.Withdrawn}, ignored: adapters.WithdrawnByOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideWithdrawal(adapters.Request{RequestID: "cr-7", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: tt.state})
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q; want %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}
