package poshmark_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/poshmark"
)

var (
	rules    = poshmark.Platform.Rules
	defaults = poshmark.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	within   = placedAt.Add(time.Hour) // inside the default cancel window
	fx       = adapterstest.Fixture{
		OrderID: "PM-10023", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "42.50", Currency: "USD"},
		RequestID: "cr-881", Reason: "changed_mind",
	}
	cancelled = fx.Cancelled
	withdrawn = adapters.Outcome{State: adapters.Withdrawn}
)

func TestPlatform(t *testing.T) {
	t.Parallel()

	adapterstest.CheckPlatform(t, poshmark.Platform, "poshmark", adapters.Windows{CancelWindow: 3 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rules, Defaults: defaults,
		// Processed a week later: Poshmark never waits, so now must not matter.
		Lag:   7 * 24 * time.Hour,
		Check: adapterstest.NeverWaits,
	}, []adapterstest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, within), Want: cancelled(adapters.PlatformCredit)},
		{Name: "buyer, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, within), Want: cancelled(adapters.PlatformCredit)},
		{Name: "buyer at placed_at", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt), Want: cancelled(adapters.PlatformCredit)},
		{Name: "buyer stamped before placed_at", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(-time.Minute)), Want: cancelled(adapters.PlatformCredit)},
		{Name: "buyer exactly at the window's edge", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(3*time.Hour)), Want: cancelled(adapters.PlatformCredit)},
		{Name: "buyer 1ns past the window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(3*time.Hour+1)), Want: adapters.Deny(adapters.WindowExpired)},
		{Name: "buyer a day later", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(24*time.Hour)), Want: adapters.Deny(adapters.WindowExpired)},
		{Name: "seller within window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, within), Want: cancelled(adapters.OriginalPayment)},
		{Name: "seller has no window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, placedAt.Add(24*time.Hour)), Want: cancelled(adapters.OriginalPayment)},
		{Name: "merchant is the seller", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Merchant, placedAt.Add(24*time.Hour)), Want: cancelled(adapters.OriginalPayment)},

		{Name: "buyer, shipped within window", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, within), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "seller, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Seller, within), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "buyer, shipped and window expired", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, placedAt.Add(24*time.Hour)), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Buyer, within), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Seller, within), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, within), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, within), OtherOpen: true, Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, within), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
		{Name: "another request open beats window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(24*time.Hour)), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},

		{Name: "override 1h: at the edge", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(time.Hour)), Windows: &adapters.Windows{CancelWindow: time.Hour}, Want: cancelled(adapters.PlatformCredit)},
		{Name: "override 1h: 1ns past", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(time.Hour+1)), Windows: &adapters.Windows{CancelWindow: time.Hour}, Want: adapters.Deny(adapters.WindowExpired)},
		{Name: "override 24h: 5h later", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(5*time.Hour)), Windows: &adapters.Windows{CancelWindow: 24 * time.Hour}, Want: cancelled(adapters.PlatformCredit)},
		{Name: "response window is not used", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, within), Windows: &adapters.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: time.Hour}, Want: cancelled(adapters.PlatformCredit)},
		{Name: "zero window falls back to 3h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(3*time.Hour+1)), Windows: &adapters.Windows{}, Want: adapters.Deny(adapters.WindowExpired)},
	})
}

// Poshmark never leaves a request pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunSettledCases(t, rules, fx, within, []adapters.Outcome{cancelled(adapters.PlatformCredit), adapters.Deny(adapters.WindowExpired), withdrawn})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	adapterstest.RunWithdrawalCases(t, []adapterstest.WithdrawalCase{
		{Name: "awaiting its order", Request: fx.Stored(adapters.Buyer, within, adapters.Outcome{State: adapters.AwaitingOrder}), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(adapters.Buyer, within, cancelled(adapters.PlatformCredit)), Want: cancelled(adapters.PlatformCredit), Ignored: adapters.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(adapters.Buyer, within, adapters.Deny(adapters.WindowExpired)), Want: adapters.Deny(adapters.WindowExpired), Ignored: adapters.WithdrawnByOther},
		{Name: "withdrawn", Request: fx.Stored(adapters.Buyer, within, withdrawn), Want: withdrawn, Ignored: adapters.WithdrawnByOther},
	})
}
