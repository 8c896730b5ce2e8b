package aliexpress_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/aliexpress"
)

var (
	rules    = aliexpress.Platform.Rules
	defaults = aliexpress.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(2 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = adapterstest.Fixture{
		OrderID: "AE-3007", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "19.99", Currency: "EUR"},
		RequestID: "cr-7", Reason: "shipping_delay",
	}
	paid      = fx.Order(adapters.StatusPaid)
	cancelled = fx.Cancelled(adapters.OriginalPayment)
	escalated = adapters.Outcome{State: adapters.Escalated}
	withdrawn = adapters.Outcome{State: adapters.Withdrawn}
	awaiting  = adapters.Outcome{State: adapters.AwaitingOrder}
)

// pendingRequest is initiator's request stored as waiting for the other side.
func pendingRequest(initiator adapters.Party) adapters.Request {
	return fx.Stored(initiator, askedAt, adapters.Pending(due))
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	adapterstest.CheckPlatform(t, aliexpress.Platform, "aliexpress", adapters.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rules, Defaults: defaults,
		Check: func(t *testing.T, got adapters.Outcome) {
			if got.AffectsSellerStats {
				t.Error("affects_seller_stats is true; AliExpress never sets it")
			}
		},
	}, []adapterstest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "buyer, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "buyer has no cancel window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(30*24*time.Hour)), Want: adapters.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{Name: "seller cancels at once", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, askedAt), Want: cancelled},
		{Name: "merchant is the seller", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Merchant, askedAt), Want: cancelled},

		{Name: "buyer, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "seller, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Seller, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Seller, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
		{Name: "another request open, seller", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "processed exactly at respond_by: auto-approved", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Now: due, Want: cancelled},
		{Name: "processed after respond_by: auto-approved", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(time.Hour), Want: cancelled},
		{Name: "late, but shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(time.Hour), Want: adapters.Deny(adapters.AlreadyShipped)},

		{Name: "override 24h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, Want: adapters.Pending(askedAt.Add(24 * time.Hour))},
		{Name: "override 24h: timed out at 24h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, Now: askedAt.Add(24 * time.Hour), Want: cancelled},
		{Name: "override 96h: still pending at 48h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{ResponseWindow: 96 * time.Hour}, Now: due, Want: adapters.Pending(askedAt.Add(96 * time.Hour))},
		{Name: "cancel window is not used", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(5*time.Hour)), Windows: &adapters.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, Want: adapters.Pending(placedAt.Add(53 * time.Hour))},
		{Name: "zero window falls back to 48h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{}, Want: adapters.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	adapterstest.RunResponseCases(t, rules, []adapterstest.ResponseCase{
		{Name: "seller accepts", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: cancelled},
		{Name: "merchant accepts", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: cancelled},
		{Name: "seller declines: dispute", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Decline, soon), Want: escalated},
		{Name: "accepted exactly at respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, due), Want: cancelled},
		{Name: "declined exactly at respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Decline, due), Want: escalated},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Decline, due.Add(1)), Want: adapters.Pending(due), Ignored: adapters.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "to a cancelled request", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, cancelled), Response: fx.Response(adapters.Seller, adapters.Decline, soon), Want: cancelled, Ignored: adapters.NotPending},
		{Name: "to an escalated request", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, escalated), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: escalated, Ignored: adapters.NotPending},
		{Name: "to a withdrawn request", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, withdrawn), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: withdrawn, Ignored: adapters.NotPending},
		{Name: "to a request awaiting its order", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, awaiting), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: awaiting, Ignored: adapters.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunTimeoutCases(t, rules, []adapterstest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "at respond_by: auto-approved", Order: paid, Request: pendingRequest(adapters.Buyer), Now: due, Want: cancelled, OK: true},
		{Name: "long after respond_by: auto-approved", Order: paid, Request: pendingRequest(adapters.Buyer), Now: due.Add(72 * time.Hour), Want: cancelled, OK: true},
		{Name: "already escalated", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, escalated), Now: due.Add(time.Hour), Want: escalated},
		{Name: "already withdrawn", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, withdrawn), Now: due.Add(time.Hour), Want: withdrawn},
	})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	adapterstest.RunWithdrawalCases(t, []adapterstest.WithdrawalCase{
		{Name: "pending", Request: pendingRequest(adapters.Buyer), Want: withdrawn},
		{Name: "awaiting its order", Request: fx.Stored(adapters.Buyer, askedAt, awaiting), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(adapters.Buyer, askedAt, cancelled), Want: cancelled, Ignored: adapters.WithdrawnByOther},
		{Name: "escalated", Request: fx.Stored(adapters.Buyer, askedAt, escalated), Want: escalated, Ignored: adapters.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(adapters.Buyer, askedAt, adapters.Deny(adapters.AlreadyShipped)), Want: adapters.Deny(adapters.AlreadyShipped), Ignored: adapters.WithdrawnByOther},
		{Name: "withdrawn", Request: fx.Stored(adapters.Buyer, askedAt, withdrawn), Want: withdrawn, Ignored: adapters.WithdrawnByOther},
	})
}
