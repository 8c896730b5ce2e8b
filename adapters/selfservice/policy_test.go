package selfservice_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/selfservice"
)

var (
	rules    = selfservice.Platform.Rules
	defaults = selfservice.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Minute)
	fx       = adapterstest.Fixture{
		OrderID: "SS-5001", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "1299.00", Currency: "JPY"},
		RequestID: "cr-1", Reason: "ordered_by_mistake",
	}
	cancelled = fx.Cancelled(adapters.OriginalPayment)
	withdrawn = adapters.Outcome{State: adapters.Withdrawn}
)

func TestPlatform(t *testing.T) {
	t.Parallel()

	adapterstest.CheckPlatform(t, selfservice.Platform, "selfservice", adapters.Windows{})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rules, Defaults: defaults,
		// Processed a year later: self-service never waits, so now must not matter.
		Lag:   365 * 24 * time.Hour,
		Check: adapterstest.NeverWaits,
	}, []adapterstest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), Want: cancelled},
		{Name: "buyer, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Want: cancelled},
		{Name: "merchant, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Merchant, askedAt), Want: cancelled},
		{Name: "seller is the merchant", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Seller, askedAt), Want: cancelled},
		{Name: "no window: a month later", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(30*24*time.Hour)), Want: cancelled},
		{Name: "configured windows have nothing to bound", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(2*time.Hour)), Windows: &adapters.Windows{CancelWindow: time.Hour, ResponseWindow: time.Hour}, Want: cancelled},

		{Name: "buyer, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Merchant, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
		{Name: "another request open, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
	})
}

// A self-service request is never pending, so every response and timeout
// finds it decided and changes nothing.
func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunSettledCases(t, rules, fx, askedAt, []adapters.Outcome{cancelled, adapters.Deny(adapters.AlreadyShipped), withdrawn})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	adapterstest.RunWithdrawalCases(t, []adapterstest.WithdrawalCase{
		{Name: "awaiting its order", Request: fx.Stored(adapters.Buyer, askedAt, adapters.Outcome{State: adapters.AwaitingOrder}), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(adapters.Buyer, askedAt, cancelled), Want: cancelled, Ignored: adapters.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(adapters.Buyer, askedAt, adapters.Deny(adapters.AlreadyShipped)), Want: adapters.Deny(adapters.AlreadyShipped), Ignored: adapters.WithdrawnByOther},
	})
}
