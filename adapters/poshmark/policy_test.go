package poshmark_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/poshmark"
)

var (
	rules    = poshmark.Platform.Rules
	defaults = poshmark.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
)

func order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{
		ID: "PM-10023", Status: status, PlacedAt: placedAt, UpdatedAt: placedAt,
		BuyerID: "b-17", SellerID: "s-4", Total: adapters.Money{Amount: "42.50", Currency: "USD"},
	}
}

func request(initiator adapters.Party, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: "PM-10023", RequestID: "cr-881",
		Initiator: initiator, Reason: "changed_mind", OccurredAt: at,
	}
}

func cancelled(method adapters.RefundMethod) adapters.Outcome {
	return adapters.Outcome{State: adapters.Cancelled, Refund: &adapters.Refund{Method: method, Amount: "42.50", Currency: "USD"}}
}

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

	if poshmark.Platform.Name != "poshmark" {
		t.Errorf("Name = %q", poshmark.Platform.Name)
	}
	if want := (adapters.Windows{CancelWindow: 3 * time.Hour}); defaults != want {
		t.Errorf("Defaults = %+v, want %+v", defaults, want)
	}
}

func TestRequest(t *testing.T) {
	t.Parallel()

	within := placedAt.Add(time.Hour)
	tests := []struct {
		name      string
		order     adapters.Order
		initiator adapters.Party
		at        time.Time
		otherOpen bool
		windows   *adapters.Windows // nil: the platform's defaults
		want      adapters.Outcome
	}{
		{name: "buyer, placed", order: order(adapters.StatusPlaced), initiator: adapters.Buyer, at: within, want: cancelled(adapters.PlatformCredit)},
		{name: "buyer, paid", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: within, want: cancelled(adapters.PlatformCredit)},
		{name: "buyer at placed_at", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt, want: cancelled(adapters.PlatformCredit)},
		{name: "buyer stamped before placed_at", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(-time.Minute), want: cancelled(adapters.PlatformCredit)},
		{name: "buyer exactly at the window's edge", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(3 * time.Hour), want: cancelled(adapters.PlatformCredit)},
		{name: "buyer 1ns past the window", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(3*time.Hour + 1), want: adapters.Deny(adapters.WindowExpired)},
		{name: "buyer a day later", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(24 * time.Hour), want: adapters.Deny(adapters.WindowExpired)},
		{name: "seller within window", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: within, want: cancelled(adapters.OriginalPayment)},
		{name: "seller has no window", order: order(adapters.StatusPaid), initiator: adapters.Seller, at: placedAt.Add(24 * time.Hour), want: cancelled(adapters.OriginalPayment)},
		{name: "merchant is the seller", order: order(adapters.StatusPlaced), initiator: adapters.Merchant, at: placedAt.Add(24 * time.Hour), want: cancelled(adapters.OriginalPayment)},

		{name: "buyer, shipped within window", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: within, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "seller, shipped", order: order(adapters.StatusShipped), initiator: adapters.Seller, at: within, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "buyer, shipped and window expired", order: order(adapters.StatusShipped), initiator: adapters.Buyer, at: placedAt.Add(24 * time.Hour), want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "delivered", order: order(adapters.StatusDelivered), initiator: adapters.Buyer, at: within, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "completed", order: order(adapters.StatusCompleted), initiator: adapters.Seller, at: within, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "cancelled order", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: within, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled order with another open", order: order(adapters.StatusCancelled), initiator: adapters.Buyer, at: within, otherOpen: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "another request open", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: within, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "another request open beats window", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(24 * time.Hour), otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},

		{name: "override 1h: at the edge", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(time.Hour), windows: &adapters.Windows{CancelWindow: time.Hour}, want: cancelled(adapters.PlatformCredit)},
		{name: "override 1h: 1ns past", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(time.Hour + 1), windows: &adapters.Windows{CancelWindow: time.Hour}, want: adapters.Deny(adapters.WindowExpired)},
		{name: "override 24h: 5h later", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(5 * time.Hour), windows: &adapters.Windows{CancelWindow: 24 * time.Hour}, want: cancelled(adapters.PlatformCredit)},
		{name: "response window is not used", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: within, windows: &adapters.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: time.Hour}, want: cancelled(adapters.PlatformCredit)},
		{name: "zero window falls back to 3h", order: order(adapters.StatusPaid), initiator: adapters.Buyer, at: placedAt.Add(3*time.Hour + 1), windows: &adapters.Windows{}, want: adapters.Deny(adapters.WindowExpired)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			w := defaults
			if tt.windows != nil {
				w = *tt.windows
			}
			// Processed a week later: Poshmark never waits, so now must not matter.
			now := tt.at.Add(7 * 24 * time.Hour)
			got := adapters.DecideRequest(rules, w, tt.order, request(tt.initiator, tt.at), tt.otherOpen, now)
			if g, wt := wire(t, got), wire(t, tt.want); g != wt {
				t.Errorf("got %s\nwant %s", g, wt)
			}
			if got.RespondBy != nil || got.AffectsSellerStats {
				t.Errorf("respond_by %v, affects_seller_stats %v: want nil and false", got.RespondBy, got.AffectsSellerStats)
			}
		})
	}
}

// Poshmark never leaves a request pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	decided := []adapters.Outcome{cancelled(adapters.PlatformCredit), adapters.Deny(adapters.WindowExpired), {State: adapters.Withdrawn}}
	for _, out := range decided {
		t.Run(string(out.State), func(t *testing.T) {
			t.Parallel()

			at := placedAt.Add(time.Hour)
			r := adapters.Request{RequestID: "cr-881", Initiator: adapters.Buyer, Reason: "changed_mind", OccurredAt: at, Outcome: out}
			resp := adapters.Cancellation{Type: adapters.CancellationResponded, OrderID: "PM-10023", RequestID: "cr-881", OccurredAt: at.Add(time.Minute), Decision: adapters.Accept, Responder: adapters.Seller}
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
		{name: "cancelled", state: cancelled(adapters.PlatformCredit), want: cancelled(adapters.PlatformCredit), ignored: adapters.WithdrawnByOther},
		{name: "denied", state: adapters.Deny(adapters.WindowExpired), want: adapters.Deny(adapters.WindowExpired), ignored: adapters.WithdrawnByOther},
		{name: "withdrawn", state: adapters.Outcome{State: adapters.Withdrawn}, want: adapters.Outcome{State: adapters.Withdrawn}, ignored: adapters.WithdrawnByOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideWithdrawal(adapters.Request{RequestID: "cr-881", Initiator: adapters.Buyer, Outcome: tt.state})
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q; want %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}
