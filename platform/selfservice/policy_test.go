package selfservice_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

var (
	rules    = selfservice.Platform.Rules
	defaults = selfservice.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Minute)
	fx       = platformtest.Fixture{
		OrderID: "SS-5001", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "1299.00", Currency: "JPY"},
		RequestID: "cr-1", Reason: "ordered_by_mistake",
	}
	cancelled = fx.Cancelled(platform.OriginalPayment)
	withdrawn = platform.Outcome{State: platform.Withdrawn}
)

func TestPlatform(t *testing.T) {
	t.Parallel()

	platformtest.CheckPlatform(t, selfservice.Platform, "selfservice", platform.Windows{})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rules, Defaults: defaults,
		// Processed a year later: self-service never waits, so now must not matter.
		Lag:   365 * 24 * time.Hour,
		Check: platformtest.NeverWaits,
	}, []platformtest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), Want: cancelled},
		{Name: "buyer, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Want: cancelled},
		{Name: "merchant, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Merchant, askedAt), Want: cancelled},
		{Name: "seller is the merchant", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Seller, askedAt), Want: cancelled},
		{Name: "no window: a month later", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(30*24*time.Hour)), Want: cancelled},
		{Name: "configured windows have nothing to bound", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(2*time.Hour)), Windows: &platform.Windows{CancelWindow: time.Hour, ResponseWindow: time.Hour}, Want: cancelled},

		{Name: "buyer, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Merchant, askedAt), OtherOpen: true, Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
		{Name: "another request open, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
	})
}

// A self-service request is never pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunSettledCases(t, rules, fx, askedAt, []platform.Outcome{cancelled, platform.Deny(platform.AlreadyShipped), withdrawn})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	platformtest.RunWithdrawalCases(t, []platformtest.WithdrawalCase{
		{Name: "awaiting its order", Request: fx.Stored(platform.Buyer, askedAt, platform.Outcome{State: platform.AwaitingOrder}), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(platform.Buyer, askedAt, cancelled), Want: cancelled, Ignored: platform.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(platform.Buyer, askedAt, platform.Deny(platform.AlreadyShipped)), Want: platform.Deny(platform.AlreadyShipped), Ignored: platform.WithdrawnByOther},
	})
}
