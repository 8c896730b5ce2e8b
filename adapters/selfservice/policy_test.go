package selfservice_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/selfservice"
)

var (
	rules    = selfservice.Platform.Rules
	defaults = selfservice.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
)

func order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{
		ID: "SS-5001", Status: status, PlacedAt: placedAt, UpdatedAt: placedAt,
		BuyerID: "b-17", SellerID: "s-4", Total: adapters.Money{Amount: "1299.00", Currency: "JPY"},
	}
}

func request(initiator adapters.Party, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: "SS-5001", RequestID: "cr-1",
		Initiator: initiator, Reason: "ordered_by_mistake", OccurredAt: at,
	}
}

var cancelled = adapters.Outcome{State: adapters.Cancelled, Refund: &adapters.Refund{Method: adapters.OriginalPayment, Amount: "1299.00", Currency: "JPY"}}

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

	if selfservice.Platform.Name != "selfservice" {
		t.Errorf("Name = %q", selfservice.Platform.Name)
	}
	if defaults != (adapters.Windows{}) {
		t.Errorf("Defaults = %+v, want no windows", defaults)
	}
}

func TestRequest(t *testing.T) {
	t.Parallel()

	soon := placedAt.Add(time.Minute)
	tests := []struct {
		name      string
		order     adapters.Order
		initiator adapters.Party
		at        time.Time
		otherOpen bool
		windows   adapters.Windows
		want      adapters.Outcome
	}{
		{name: "buyer, placed", order: order(adapters.StatusPlaced), initiator: adapters.Buyer, at: soon, want: cancelled},
		{name: "buyer, paid", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: soon, want: cancelled},
		{name: "merchant, paid", order: order(adapters.StatusPaid), initiator: adapters.Merchant, at: soon, want: cancelled},
		{name: "seller is the merchant", order: order(adapters.StatusPlaced), initiator: adapters.Seller, at: soon, want: cancelled},
		{name: "no window: a month later", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(30 * 24 * time.Hour), want: cancelled},
		{name: "configured windows have nothing to bound", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(2 * time.Hour), windows: adapters.Windows{CancelWindow: time.Hour, ResponseWindow: time.Hour}, want: cancelled},

		{name: "buyer, shipped", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: soon, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "merchant, shipped", order: order(adapters.StatusShipped), initiator: adapters.Merchant, at: soon, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "delivered", order: order(adapters.StatusDelivered), initiator: adapters.Buyer, at: soon, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "completed", order: order(adapters.StatusCompleted), initiator: adapters.Merchant, at: soon, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "cancelled order", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: soon, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled order with another open", order: order(adapters.StatusCancelled), initiator: adapters.Merchant, at: soon, otherOpen: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "another request open", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: soon, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "another request open, shipped", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: soon, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			w := defaults
			if tt.windows != (adapters.Windows{}) {
				w = tt.windows
			}
			got := adapters.DecideRequest(rules, w, tt.order, request(tt.initiator, tt.at), tt.otherOpen, tt.at.Add(365*24*time.Hour))
			if g, wt := wire(t, got), wire(t, tt.want); g != wt {
				t.Errorf("got %s\nwant %s", g, wt)
			}
			if got.RespondBy != nil || got.AffectsSellerStats {
				t.Errorf("respond_by %v, affects_seller_stats %v: want nil and false", got.RespondBy, got.AffectsSellerStats)
			}
		})
	}
}

// A self-service request is never pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	decided := []adapters.Outcome{cancelled, adapters.Deny(adapters.AlreadyShipped), {State: adapters.Withdrawn}}
	for _, out := range decided {
		t.Run(string(out.State), func(t *testing.T) {
			t.Parallel()

			at := placedAt.Add(time.Minute)
			r := adapters.Request{RequestID: "cr-1", Initiator: adapters.Buyer, Reason: "ordered_by_mistake", OccurredAt: at, Outcome: out}
			resp := adapters.Cancellation{Type: adapters.CancellationResponded, OrderID: "SS-5001", RequestID: "cr-1", OccurredAt: at.Add(time.Minute), Decision: adapters.Accept, Responder: adapters.Seller}
			got, ignored := adapters.DecideResponse(rules, order(adapters.StatusPaid), r, resp)
			if ignored != adapters.NotPending || wire(t, got) != wire(t, out) {
				t.Errorf("DecideResponse = %s, %q; want the outcome unchanged and %q", wire(t, got), ignored, adapters.NotPending)
			}
			if got, ok := adapters.DecideTimeout(rules, order(adapters.StatusPaid), r, at.Add(365*24*time.Hour)); ok || wire(t, got) != wire(t, out) {
				t.Errorf("DecideTimeout = %s, %v; want the outcome unchanged and false", wire(t, got), ok)
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
		{name: "awaiting its order", state: adapters.Outcome{State: adapters.AwaitingOrder}, want: adapters.Outcome{State: adapters.Withdrawn}},
		{name: "cancelled", state: cancelled, want: cancelled, ignored: adapters.WithdrawnByOther},
		{name: "denied", state: adapters.Deny(adapters.AlreadyShipped), want: adapters.Deny(adapters.AlreadyShipped), ignored: adapters.WithdrawnByOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideWithdrawal(adapters.Request{RequestID: "cr-1", Initiator: adapters.Buyer, Outcome: tt.state})
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q; want %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}
