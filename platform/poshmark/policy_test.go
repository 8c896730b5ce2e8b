package poshmark_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
	"github.com/cancelsync/cancelsync/platform/poshmark"
)

var (
	rules    = poshmark.Platform.Rules
	defaults = poshmark.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	within   = placedAt.Add(time.Hour) // inside the default cancel window
	fx       = platformtest.Fixture{
		OrderID: "PM-10023", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "42.50", Currency: "USD"},
		RequestID: "cr-881", Reason: "changed_mind",
	}
	cancelled = fx.Cancelled
	withdrawn = platform.Outcome{State: platform.Withdrawn}
)

func TestPlatform(t *testing.T) {
	t.Parallel()

	platformtest.CheckPlatform(t, poshmark.Platform, "poshmark", platform.Windows{CancelWindow: 3 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rules, Defaults: defaults,
		// Processed a week later: Poshmark never waits, so now must not matter.
		Lag:   7 * 24 * time.Hour,
		Check: platformtest.NeverWaits,
	}, []platformtest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, within), Want: cancelled(platform.PlatformCredit)},
		{Name: "buyer, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, within), Want: cancelled(platform.PlatformCredit)},
		{Name: "buyer at placed_at", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt), Want: cancelled(platform.PlatformCredit)},
		{Name: "buyer stamped before placed_at", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(-time.Minute)), Want: cancelled(platform.PlatformCredit)},
		{Name: "buyer exactly at the window's edge", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(3*time.Hour)), Want: cancelled(platform.PlatformCredit)},
		{Name: "buyer 1ns past the window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(3*time.Hour+1)), Want: platform.Deny(platform.WindowExpired)},
		{Name: "buyer a day later", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(24*time.Hour)), Want: platform.Deny(platform.WindowExpired)},
		{Name: "seller within window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, within), Want: cancelled(platform.OriginalPayment)},
		{Name: "seller has no window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, placedAt.Add(24*time.Hour)), Want: cancelled(platform.OriginalPayment)},
		{Name: "merchant is the seller", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Merchant, placedAt.Add(24*time.Hour)), Want: cancelled(platform.OriginalPayment)},

		{Name: "buyer, shipped within window", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, within), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "seller, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Seller, within), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "buyer, shipped and window expired", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, placedAt.Add(24*time.Hour)), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Buyer, within), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Seller, within), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, within), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, within), OtherOpen: true, Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, within), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
		{Name: "another request open beats window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(24*time.Hour)), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},

		{Name: "override 1h: at the edge", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(time.Hour)), Windows: &platform.Windows{CancelWindow: time.Hour}, Want: cancelled(platform.PlatformCredit)},
		{Name: "override 1h: 1ns past", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(time.Hour+1)), Windows: &platform.Windows{CancelWindow: time.Hour}, Want: platform.Deny(platform.WindowExpired)},
		{Name: "override 24h: 5h later", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(5*time.Hour)), Windows: &platform.Windows{CancelWindow: 24 * time.Hour}, Want: cancelled(platform.PlatformCredit)},
		{Name: "response window is not used", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, within), Windows: &platform.Windows{CancelWindow: 3 * time.Hour, ResponseWindow: time.Hour}, Want: cancelled(platform.PlatformCredit)},
		{Name: "zero window falls back to 3h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(3*time.Hour+1)), Windows: &platform.Windows{}, Want: platform.Deny(platform.WindowExpired)},
	})
}

// Poshmark never leaves a request pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunSettledCases(t, rules, fx, within, []platform.Outcome{cancelled(platform.PlatformCredit), platform.Deny(platform.WindowExpired), withdrawn})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	platformtest.RunWithdrawalCases(t, []platformtest.WithdrawalCase{
		{Name: "awaiting its order", Request: fx.Stored(platform.Buyer, within, platform.Outcome{State: platform.AwaitingOrder}), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(platform.Buyer, within, cancelled(platform.PlatformCredit)), Want: cancelled(platform.PlatformCredit), Ignored: platform.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(platform.Buyer, within, platform.Deny(platform.WindowExpired)), Want: platform.Deny(platform.WindowExpired), Ignored: platform.WithdrawnByOther},
		{Name: "withdrawn", Request: fx.Stored(platform.Buyer, within, withdrawn), Want: withdrawn, Ignored: platform.WithdrawnByOther},
	})
}
