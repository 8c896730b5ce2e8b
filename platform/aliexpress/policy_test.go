package aliexpress_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/aliexpress"
	"github.com/cancelsync/cancelsync/platform/platformtest"
)

var (
	rules    = aliexpress.Platform.Rules
	defaults = aliexpress.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(2 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = platformtest.Fixture{
		OrderID: "AE-3007", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "19.99", Currency: "EUR"},
		RequestID: "cr-7", Reason: "shipping_delay",
	}
	paid      = fx.Order(platform.StatusPaid)
	cancelled = fx.Cancelled(platform.OriginalPayment)
	escalated = platform.Outcome{State: platform.Escalated}
	withdrawn = platform.Outcome{State: platform.Withdrawn}
	awaiting  = platform.Outcome{State: platform.AwaitingOrder}
)

// pendingRequest is initiator's request stored as waiting for the other side.
func pendingRequest(initiator platform.Party) platform.Request {
	return fx.Stored(initiator, askedAt, platform.Pending(due))
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	platformtest.CheckPlatform(t, aliexpress.Platform, "aliexpress", platform.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rules, Defaults: defaults,
		Check: func(t *testing.T, got platform.Outcome) {
			if got.AffectsSellerStats {
				t.Error("affects_seller_stats is true; AliExpress never sets it")
			}
		},
	}, []platformtest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "buyer, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "buyer has no cancel window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(30*24*time.Hour)), Want: platform.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{Name: "seller cancels at once", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, askedAt), Want: cancelled},
		{Name: "merchant is the seller", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Merchant, askedAt), Want: cancelled},

		{Name: "buyer, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "seller, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Seller, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Seller, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "cancelled order", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
		{Name: "another request open, seller", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "processed exactly at respond_by: auto-approved", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Now: due, Want: cancelled},
		{Name: "processed after respond_by: auto-approved", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(time.Hour), Want: cancelled},
		{Name: "late, but shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(time.Hour), Want: platform.Deny(platform.AlreadyShipped)},

		{Name: "override 24h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{ResponseWindow: 24 * time.Hour}, Want: platform.Pending(askedAt.Add(24 * time.Hour))},
		{Name: "override 24h: timed out at 24h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{ResponseWindow: 24 * time.Hour}, Now: askedAt.Add(24 * time.Hour), Want: cancelled},
		{Name: "override 96h: still pending at 48h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{ResponseWindow: 96 * time.Hour}, Now: due, Want: platform.Pending(askedAt.Add(96 * time.Hour))},
		{Name: "cancel window is not used", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(5*time.Hour)), Windows: &platform.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, Want: platform.Pending(placedAt.Add(53 * time.Hour))},
		{Name: "zero window falls back to 48h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{}, Want: platform.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	platformtest.RunResponseCases(t, rules, []platformtest.ResponseCase{
		{Name: "seller accepts", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: cancelled},
		{Name: "merchant accepts", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: cancelled},
		{Name: "seller declines: dispute", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Decline, soon), Want: escalated},
		{Name: "accepted exactly at respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, due), Want: cancelled},
		{Name: "declined exactly at respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Decline, due), Want: escalated},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Decline, due.Add(1)), Want: platform.Pending(due), Ignored: platform.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "to a cancelled request", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, cancelled), Response: fx.Response(platform.Seller, platform.Decline, soon), Want: cancelled, Ignored: platform.NotPending},
		{Name: "to an escalated request", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, escalated), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: escalated, Ignored: platform.NotPending},
		{Name: "to a withdrawn request", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, withdrawn), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: withdrawn, Ignored: platform.NotPending},
		{Name: "to a request awaiting its order", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, awaiting), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: awaiting, Ignored: platform.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunTimeoutCases(t, rules, []platformtest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "at respond_by: auto-approved", Order: paid, Request: pendingRequest(platform.Buyer), Now: due, Want: cancelled, OK: true},
		{Name: "long after respond_by: auto-approved", Order: paid, Request: pendingRequest(platform.Buyer), Now: due.Add(72 * time.Hour), Want: cancelled, OK: true},
		{Name: "already escalated", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, escalated), Now: due.Add(time.Hour), Want: escalated},
		{Name: "already withdrawn", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, withdrawn), Now: due.Add(time.Hour), Want: withdrawn},
	})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	platformtest.RunWithdrawalCases(t, []platformtest.WithdrawalCase{
		{Name: "pending", Request: pendingRequest(platform.Buyer), Want: withdrawn},
		{Name: "awaiting its order", Request: fx.Stored(platform.Buyer, askedAt, awaiting), Want: withdrawn},
		{Name: "cancelled", Request: fx.Stored(platform.Buyer, askedAt, cancelled), Want: cancelled, Ignored: platform.WithdrawnByOther},
		{Name: "escalated", Request: fx.Stored(platform.Buyer, askedAt, escalated), Want: escalated, Ignored: platform.WithdrawnByOther},
		{Name: "denied", Request: fx.Stored(platform.Buyer, askedAt, platform.Deny(platform.AlreadyShipped)), Want: platform.Deny(platform.AlreadyShipped), Ignored: platform.WithdrawnByOther},
		{Name: "withdrawn", Request: fx.Stored(platform.Buyer, askedAt, withdrawn), Want: withdrawn, Ignored: platform.WithdrawnByOther},
	})
}
