package fiverr_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/fiverr"
)

var (
	rules    = fiverr.Platform.Rules
	defaults = fiverr.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(26 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = adapterstest.Fixture{
		OrderID: "FO-77A", BuyerID: "b-17", SellerID: "s-4", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "250.00", Currency: "GBP"},
		RequestID: "cr-42", Reason: "buyer_unresponsive",
	}
	escalated = adapters.Outcome{State: adapters.Escalated}
)

// withRequirements is o after the buyer submitted the order's requirements.
func withRequirements(o adapters.Order) adapters.Order {
	o.RequirementsSubmitted = true
	return o
}

// withWork is o after the seller delivered work.
func withWork(o adapters.Order) adapters.Order {
	o.WorkDelivered = true
	return o
}

// pendingRequest is a request of initiator stored as waiting for the other side.
func pendingRequest(initiator adapters.Party) adapters.Request {
	return fx.Stored(initiator, askedAt, adapters.Pending(due))
}

// decided is a seller's request that no longer waits, standing at out.
func decided(out adapters.Outcome) adapters.Request {
	return fx.Stored(adapters.Seller, askedAt, out)
}

// cancelled is the order cancelled to the original payment, counted against
// the seller or not.
func cancelled(affectsSellerStats bool) adapters.Outcome {
	out := fx.Cancelled(adapters.OriginalPayment)
	out.AffectsSellerStats = affectsSellerStats
	return out
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	adapterstest.CheckPlatform(t, fiverr.Platform, "fiverr", adapters.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{Rules: rules, Defaults: defaults}, []adapterstest.RequestCase{
		{Name: "buyer, placed", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "buyer, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "seller, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, askedAt), Want: adapters.Pending(due)},
		{Name: "merchant, requirements submitted", Order: withRequirements(fx.Order(adapters.StatusPaid)), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Pending(due)},
		{Name: "no cancel window", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(30*24*time.Hour)), Want: adapters.Pending(placedAt.Add(32 * 24 * time.Hour))},
		{Name: "delivered does not block", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "delivered work does not block", Order: withWork(fx.Order(adapters.StatusPaid)), Request: fx.Request(adapters.Seller, askedAt), Want: adapters.Pending(due)},

		{Name: "completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Seller, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "cancelled order", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "cancelled order with another open", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Seller, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
		{Name: "another request open, delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Seller, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "processed at respond_by: support", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Now: due, Want: escalated},
		{Name: "processed after respond_by, seller with requirements: support", Order: withRequirements(fx.Order(adapters.StatusPaid)), Request: fx.Request(adapters.Seller, askedAt), Now: due.Add(time.Hour), Want: escalated},

		{Name: "override 24h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, askedAt), Windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, Want: adapters.Pending(askedAt.Add(24 * time.Hour))},
		{Name: "override 24h: timed out at 24h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Seller, askedAt), Windows: &adapters.Windows{ResponseWindow: 24 * time.Hour}, Now: askedAt.Add(24 * time.Hour), Want: escalated},
		{Name: "override 96h: still pending at 48h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{ResponseWindow: 96 * time.Hour}, Now: due, Want: adapters.Pending(askedAt.Add(96 * time.Hour))},
		{Name: "cancel window is not used", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{CancelWindow: time.Hour, ResponseWindow: 48 * time.Hour}, Want: adapters.Pending(due)},
		{Name: "zero window falls back to 48h", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{}, Want: adapters.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	paid := fx.Order(adapters.StatusPaid)
	adapterstest.RunResponseCases(t, rules, []adapterstest.ResponseCase{
		{Name: "seller asks, buyer accepts", Order: paid, Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: cancelled(false)},
		{Name: "buyer asks, seller accepts", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: cancelled(false)},
		{Name: "buyer asks, merchant accepts", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: cancelled(false)},
		{Name: "delivered order, accepted", Order: withWork(fx.Order(adapters.StatusDelivered)), Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: cancelled(false)},

		{Name: "seller asks after requirements: counts against seller", Order: withRequirements(paid), Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: cancelled(true)},
		{Name: "merchant asks after requirements: counts against seller", Order: withRequirements(paid), Request: pendingRequest(adapters.Merchant), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: cancelled(true)},
		{Name: "buyer asks after requirements: does not count", Order: withRequirements(paid), Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: cancelled(false)},
		{Name: "requirements arrived while pending: the order at decision counts", Order: withRequirements(paid), Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Buyer, adapters.Accept, due), Want: cancelled(true)},

		{Name: "buyer declines", Order: withRequirements(paid), Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Buyer, adapters.Decline, soon), Want: escalated},
		{Name: "seller declines", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Decline, soon), Want: escalated},
		{Name: "declined exactly at respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Decline, due), Want: escalated},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, due.Add(1)), Want: adapters.Pending(due), Ignored: adapters.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(adapters.Buyer), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "seller answers own request", Order: paid, Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "merchant answers seller's request", Order: paid, Request: pendingRequest(adapters.Seller), Response: fx.Response(adapters.Merchant, adapters.Decline, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "seller answers merchant's request", Order: paid, Request: pendingRequest(adapters.Merchant), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "to a cancelled request", Order: paid, Request: decided(cancelled(false)), Response: fx.Response(adapters.Buyer, adapters.Decline, soon), Want: cancelled(false), Ignored: adapters.NotPending},
		{Name: "to an escalated request", Order: paid, Request: decided(escalated), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: escalated, Ignored: adapters.NotPending},
		{Name: "to a withdrawn request", Order: paid, Request: decided(adapters.Outcome{State: adapters.Withdrawn}), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: adapters.Outcome{State: adapters.Withdrawn}, Ignored: adapters.NotPending},
		{Name: "to a denied request", Order: paid, Request: decided(adapters.Deny(adapters.RequestOpen)), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: adapters.Deny(adapters.RequestOpen), Ignored: adapters.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunTimeoutCases(t, rules, []adapterstest.TimeoutCase{
		{Name: "1ns before respond_by", Order: fx.Order(adapters.StatusPaid), Request: pendingRequest(adapters.Buyer), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "at respond_by: support", Order: fx.Order(adapters.StatusPaid), Request: pendingRequest(adapters.Buyer), Now: due, Want: escalated, OK: true},
		{Name: "seller's request after requirements: support, no stats", Order: withRequirements(fx.Order(adapters.StatusPaid)), Request: pendingRequest(adapters.Seller), Now: due.Add(time.Hour), Want: escalated, OK: true},
		{Name: "already cancelled", Order: fx.Order(adapters.StatusPaid), Request: decided(cancelled(true)), Now: due.Add(time.Hour), Want: cancelled(true)},
		{Name: "already withdrawn", Order: fx.Order(adapters.StatusPaid), Request: decided(adapters.Outcome{State: adapters.Withdrawn}), Now: due.Add(time.Hour), Want: adapters.Outcome{State: adapters.Withdrawn}},
	})
}

func TestWithdrawal(t *testing.T) {
	t.Parallel()

	adapterstest.RunWithdrawalCases(t, []adapterstest.WithdrawalCase{
		{Name: "pending, buyer's", Request: pendingRequest(adapters.Buyer), Want: adapters.Outcome{State: adapters.Withdrawn}},
		{Name: "pending, seller's", Request: pendingRequest(adapters.Seller), Want: adapters.Outcome{State: adapters.Withdrawn}},
		{Name: "awaiting its order", Request: decided(adapters.Outcome{State: adapters.AwaitingOrder}), Want: adapters.Outcome{State: adapters.Withdrawn}},
		{Name: "cancelled", Request: decided(cancelled(true)), Want: cancelled(true), Ignored: adapters.WithdrawnByOther},
		{Name: "escalated", Request: decided(escalated), Want: escalated, Ignored: adapters.WithdrawnByOther},
		{Name: "withdrawn", Request: decided(adapters.Outcome{State: adapters.Withdrawn}), Want: adapters.Outcome{State: adapters.Withdrawn}, Ignored: adapters.WithdrawnByOther},
	})
}
