package fiverr_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/fiverr"
	"github.com/cancelsync/cancelsync/platform/platformtest"
)

var (
	rules    = fiverr.Platform.Rules
	defaults = fiverr.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(26 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = platformtest.Fixture{
		OrderID: "FO-77A", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "250.00", Currency: "GBP"},
		RequestID: "cr-42", Reason: "buyer_unresponsive",
	}
	escalated = platform.Outcome{State: platform.Escalated}
)

// withRequirements is o after the buyer submitted the order's requirements.
func withRequirements(o platform.Order) platform.Order {
	o.RequirementsSubmitted = true
	return o
}

// withWork is o after the seller delivered work.
func withWork(o platform.Order) platform.Order {
	o.WorkDelivered = true
	return o
}

// pendingRequest is a request of initiator stored as waiting for the other side.
func pendingRequest(initiator platform.Party) platform.Request {
	return fx.Stored(initiator, askedAt, platform.Pending(due))
}

// decided is a seller's request that no longer waits, standing at out.
func decided(out platform.Outcome) platform.Request {
	return fx.Stored(platform.Seller, askedAt, out)
}

// cancelled is the order cancelled to the original payment, counted against
// the seller or not.
func cancelled(affectsSellerStats bool) platform.Outcome {
	out := fx.Cancelled(platform.OriginalPayment)
	out.AffectsSellerStats = affectsSellerStats
	return out
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	platformtest.CheckPlatform(t, fiverr.Platform, "fiverr", platform.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{Rules: rules, Defaults: defaults}, []platformtest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "buyer, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "seller, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, askedAt), Want: platform.Pending(due)},
		{Name: "merchant, requirements submitted", Order: withRequirements(fx.Order(platform.StatusPaid)), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Pending(due)},
		{Name: "no cancel window", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(30*24*time.Hour)), Want: platform.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{Name: "delivered does not block", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "delivered work does not block", Order: withWork(fx.Order(platform.StatusPaid)), Request: fx.Request(platform.Seller, askedAt), Want: platform.Pending(due)},

		{Name: "completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Seller, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "cancelled order", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Seller, askedAt), OtherOpen: true, Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
		{Name: "another request open, delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Seller, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "processed at respond_by: support", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Now: due, Want: escalated},
		{Name: "processed after respond_by, seller with requirements: support", Order: withRequirements(fx.Order(platform.StatusPaid)), Request: fx.Request(platform.Seller, askedAt), Now: due.Add(time.Hour), Want: escalated},

		{Name: "override 24h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, askedAt), Windows: &platform.Windows{ResponseWindow: 24 * time.Hour}, Want: platform.Pending(askedAt.Add(24 * time.Hour))},
		{Name: "override 24h: timed out at 24h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Seller, askedAt), Windows: &platform.Windows{ResponseWindow: 24 * time.Hour}, Now: askedAt.Add(24 * time.Hour), Want: escalated},
		{Name: "override 96h: still pending at 48h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{ResponseWindow: 96 * time.Hour}, Now: due, Want: platform.Pending(askedAt.Add(96 * time.Hour))},
		{Name: "cancel window is not used", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, Want: platform.Pending(due)},
		{Name: "zero window falls back to 48h", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{}, Want: platform.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	paid := fx.Order(platform.StatusPaid)
	platformtest.RunResponseCases(t, rules, []platformtest.ResponseCase{
		{Name: "seller asks, buyer accepts", Order: paid, Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: cancelled(false)},
		{Name: "buyer asks, seller accepts", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: cancelled(false)},
		{Name: "buyer asks, merchant accepts", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: cancelled(false)},
		{Name: "delivered order, accepted", Order: withWork(fx.Order(platform.StatusDelivered)), Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: cancelled(false)},

		{Name: "seller asks after requirements: counts against seller", Order: withRequirements(paid), Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: cancelled(true)},
		{Name: "merchant asks after requirements: counts against seller", Order: withRequirements(paid), Request: pendingRequest(platform.Merchant), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: cancelled(true)},
		{Name: "buyer asks after requirements: does not count", Order: withRequirements(paid), Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: cancelled(false)},
		{Name: "requirements arrived while pending: the order at decision counts", Order: withRequirements(paid), Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Buyer, platform.Accept, due), Want: cancelled(true)},

		{Name: "buyer declines", Order: withRequirements(paid), Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Buyer, platform.Decline, soon), Want: escalated},
		{Name: "seller declines", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Decline, soon), Want: escalated},
		{Name: "declined exactly at respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Decline, due), Want: escalated},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, due.Add(1)), Want: platform.Pending(due), Ignored: platform.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(platform.Buyer), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "seller answers own request", Order: paid, Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "merchant answers seller's request", Order: paid, Request: pendingRequest(platform.Seller), Response: fx.Response(platform.Merchant, platform.Decline, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "seller answers merchant's request", Order: paid, Request: pendingRequest(platform.Merchant), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "to a cancelled request", Order: paid, Request: decided(cancelled(false)), Response: fx.Response(platform.Buyer, platform.Decline, soon), Want: cancelled(false), Ignored: platform.NotPending},
		{Name: "to an escalated request", Order: paid, Request: decided(escalated), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: escalated, Ignored: platform.NotPending},
		{Name: "to a withdrawn request", Order: paid, Request: decided(platform.Outcome{State: platform.Withdrawn}), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: platform.Outcome{State: platform.Withdrawn}, Ignored: platform.NotPending},
		{Name: "to a denied request", Order: paid, Request: decided(platform.Deny(platform.RequestOpen)), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: platform.Deny(platform.RequestOpen), Ignored: platform.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunTimeoutCases(t, rules, []platformtest.TimeoutCase{
		{Name: "1ns before respond_by", Order: fx.Order(platform.StatusPaid), Request: pendingRequest(platform.Buyer), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "at respond_by: support", Order: fx.Order(platform.StatusPaid), Request: pendingRequest(platform.Buyer), Now: due, Want: escalated, OK: true},
		{Name: "seller's request after requirements: support, no stats", Order: withRequirements(fx.Order(platform.StatusPaid)), Request: pendingRequest(platform.Seller), Now: due.Add(time.Hour), Want: escalated, OK: true},
		{Name: "already cancelled", Order: fx.Order(platform.StatusPaid), Request: decided(cancelled(true)), Now: due.Add(time.Hour), Want: cancelled(true)},
		{Name: "already withdrawn", Order: fx.Order(platform.StatusPaid), Request: decided(platform.Outcome{State: platform.Withdrawn}), Now: due.Add(time.Hour), Want: platform.Outcome{State: platform.Withdrawn}},
	})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	platformtest.RunWithdrawalCases(t, []platformtest.WithdrawalCase{
		{Name: "pending, buyer's", Request: pendingRequest(platform.Buyer), Want: platform.Outcome{State: platform.Withdrawn}},
		{Name: "pending, seller's", Request: pendingRequest(platform.Seller), Want: platform.Outcome{State: platform.Withdrawn}},
		{Name: "awaiting its order", Request: decided(platform.Outcome{State: platform.AwaitingOrder}), Want: platform.Outcome{State: platform.Withdrawn}},
		{Name: "cancelled", Request: decided(cancelled(true)), Want: cancelled(true), Ignored: platform.WithdrawnByOther},
		{Name: "escalated", Request: decided(escalated), Want: escalated, Ignored: platform.WithdrawnByOther},
		{Name: "withdrawn", Request: decided(platform.Outcome{State: platform.Withdrawn}), Want: platform.Outcome{State: platform.Withdrawn}, Ignored: platform.WithdrawnByOther},
	})
}
