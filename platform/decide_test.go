package platform_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
)

// fakeRules is the smallest platform: every request that passes the shared
// checks waits for the response window, accept cancels, anything else and
// silence escalate. It makes the shared checks visible on their own.
type fakeRules struct{ deliveredBlocks bool }

func (f fakeRules) DeliveredBlocks() bool { return f.deliveredBlocks }

func (fakeRules) Request(_ platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	return platform.Pending(c.OccurredAt.Add(w.ResponseWindow))
}

func (fakeRules) Respond(o platform.Order, _ platform.Request, d platform.Decision) platform.Outcome {
	if d == platform.Accept {
		return platform.Cancel(o, platform.OriginalPayment)
	}
	return platform.Outcome{State: platform.Escalated}
}

func (fakeRules) Timeout(_ platform.Order, _ platform.Request) platform.Outcome {
	return platform.Outcome{State: platform.Escalated}
}

var (
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Hour)
	windows  = platform.Windows{ResponseWindow: 48 * time.Hour}
	due      = askedAt.Add(48 * time.Hour)
	escalate = platform.Outcome{State: platform.Escalated}
	fx       = platformtest.Fixture{
		OrderID: "O-1", PlacedAt: placedAt, Total: platform.Money{Amount: "10.00", Currency: "USD"},
		RequestID: "r-1",
	}
	paid = fx.Order(platform.StatusPaid)
)

// pending is initiator's request, waiting for the other side until due.
func pending(initiator platform.Party) platform.Request {
	return fx.Stored(initiator, askedAt, platform.Pending(due))
}

// stored is the buyer's request, standing at out.
func stored(out platform.Outcome) platform.Request {
	return fx.Stored(platform.Buyer, askedAt, out)
}

// TestDecideRequestOrder pins the order of the shared checks: cancelled
// before request_open before delivered/completed before shipped, then the
// platform's rule.
func TestDecideRequestOrder(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name            string
		status          platform.OrderStatus
		otherOpen       bool
		deliveredBlocks bool
		want            platform.Outcome
	}{
		{name: "cancelled beats request_open", status: platform.StatusCancelled, otherOpen: true, deliveredBlocks: true, want: platform.Deny(platform.AlreadyCancelled)},
		{name: "cancelled", status: platform.StatusCancelled, deliveredBlocks: true, want: platform.Deny(platform.AlreadyCancelled)},
		{name: "cancelled, delivered not blocking", status: platform.StatusCancelled, want: platform.Deny(platform.AlreadyCancelled)},
		{name: "request_open beats completed", status: platform.StatusCompleted, otherOpen: true, deliveredBlocks: true, want: platform.Deny(platform.RequestOpen)},
		{name: "request_open beats delivered", status: platform.StatusDelivered, otherOpen: true, deliveredBlocks: true, want: platform.Deny(platform.RequestOpen)},
		{name: "request_open beats shipped", status: platform.StatusShipped, otherOpen: true, deliveredBlocks: true, want: platform.Deny(platform.RequestOpen)},
		{name: "request_open beats the rule", status: platform.StatusPaid, otherOpen: true, want: platform.Deny(platform.RequestOpen)},
		{name: "completed", status: platform.StatusCompleted, deliveredBlocks: true, want: platform.Deny(platform.AlreadyDelivered)},
		{name: "completed blocks even where delivered does not", status: platform.StatusCompleted, want: platform.Deny(platform.AlreadyDelivered)},
		{name: "delivered", status: platform.StatusDelivered, deliveredBlocks: true, want: platform.Deny(platform.AlreadyDelivered)},
		{name: "delivered, not blocking: the rule decides", status: platform.StatusDelivered, want: platform.Pending(due)},
		{name: "shipped", status: platform.StatusShipped, deliveredBlocks: true, want: platform.Deny(platform.AlreadyShipped)},
		{name: "shipped, delivered not blocking", status: platform.StatusShipped, want: platform.Deny(platform.AlreadyShipped)},
		{name: "placed: the rule decides", status: platform.StatusPlaced, deliveredBlocks: true, want: platform.Pending(due)},
		{name: "paid: the rule decides", status: platform.StatusPaid, deliveredBlocks: true, want: platform.Pending(due)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got := platform.DecideRequest(fakeRules{deliveredBlocks: tt.deliveredBlocks}, windows, fx.Order(tt.status), fx.Request(platform.Buyer, askedAt), tt.otherOpen, askedAt)
			if g, w := platformtest.Wire(t, got), platformtest.Wire(t, tt.want); g != w {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

// TestDecideRequestLate checks that a request processed once its respond_by
// has passed gets the timeout rule at once.
func TestDecideRequestLate(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{Rules: fakeRules{deliveredBlocks: true}, Defaults: windows}, []platformtest.RequestCase{
		{Name: "1ns before respond_by", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "at respond_by", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Now: due, Want: escalate},
		{Name: "after respond_by", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(time.Hour), Want: escalate},
	})
}

func TestDecideResponse(t *testing.T) {
	t.Parallel()

	cancelled := fx.Cancelled(platform.OriginalPayment)
	platformtest.RunResponseCases(t, fakeRules{}, []platformtest.ResponseCase{
		{Name: "accept", Order: paid, Request: pending(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, askedAt), Want: cancelled},
		{Name: "decline", Order: paid, Request: pending(platform.Seller), Response: fx.Response(platform.Buyer, platform.Decline, askedAt), Want: escalate},
		{Name: "exactly at respond_by", Order: paid, Request: pending(platform.Buyer), Response: fx.Response(platform.Merchant, platform.Accept, due), Want: cancelled},
		{Name: "1ns after respond_by", Order: paid, Request: pending(platform.Buyer), Response: fx.Response(platform.Seller, platform.Accept, due.Add(1)), Want: platform.Pending(due), Ignored: platform.ResponseTooLate},
		{Name: "own side: buyer", Order: paid, Request: pending(platform.Buyer), Response: fx.Response(platform.Buyer, platform.Accept, askedAt), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "own side: merchant for seller", Order: paid, Request: pending(platform.Seller), Response: fx.Response(platform.Merchant, platform.Accept, askedAt), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "own side wins over too late", Order: paid, Request: pending(platform.Buyer), Response: fx.Response(platform.Buyer, platform.Accept, due.Add(time.Hour)), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "not pending wins over own side", Order: paid, Request: stored(escalate), Response: fx.Response(platform.Buyer, platform.Accept, askedAt), Want: escalate, Ignored: platform.NotPending},
		{Name: "awaiting its order", Order: paid, Request: stored(platform.Outcome{State: platform.AwaitingOrder}), Response: fx.Response(platform.Seller, platform.Accept, askedAt), Want: platform.Outcome{State: platform.AwaitingOrder}, Ignored: platform.NotPending},
	})
}

func TestDecideWithdrawal(t *testing.T) {
	t.Parallel()

	withdrawn := platform.Outcome{State: platform.Withdrawn}
	platformtest.RunWithdrawalCases(t, []platformtest.WithdrawalCase{
		{Name: "awaiting its order", Request: stored(platform.Outcome{State: platform.AwaitingOrder}), Want: withdrawn},
		{Name: "pending", Request: pending(platform.Buyer), Want: withdrawn},
		{Name: "escalated", Request: stored(escalate), Want: escalate, Ignored: platform.WithdrawnByOther},
		{Name: "denied", Request: stored(platform.Deny(platform.RequestOpen)), Want: platform.Deny(platform.RequestOpen), Ignored: platform.WithdrawnByOther},
		{Name: "withdrawn", Request: stored(withdrawn), Want: withdrawn, Ignored: platform.WithdrawnByOther},
	})
}

func TestDecideTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunTimeoutCases(t, fakeRules{}, []platformtest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pending(platform.Buyer), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "at respond_by", Order: paid, Request: pending(platform.Buyer), Now: due, Want: escalate, OK: true},
		{Name: "not pending", Order: paid, Request: stored(escalate), Now: due.Add(time.Hour), Want: escalate},
		{Name: "awaiting its order", Order: paid, Request: stored(platform.Outcome{State: platform.AwaitingOrder}), Now: due.Add(time.Hour), Want: platform.Outcome{State: platform.AwaitingOrder}},
		{Name: "pending without respond_by", Order: paid, Request: stored(platform.Outcome{State: platform.PendingResponse}), Now: due.Add(time.Hour), Want: platform.Outcome{State: platform.PendingResponse}},
		// The shared checks apply at the deadline too.
		{Name: "shipped while pending", Order: fx.Order(platform.StatusShipped), Request: pending(platform.Buyer), Now: due, Want: platform.Deny(platform.AlreadyShipped), OK: true},
		{Name: "completed while pending", Order: fx.Order(platform.StatusCompleted), Request: pending(platform.Buyer), Now: due, Want: platform.Deny(platform.AlreadyDelivered), OK: true},
		{Name: "cancelled while pending", Order: fx.Order(platform.StatusCancelled), Request: pending(platform.Buyer), Now: due, Want: platform.Deny(platform.AlreadyCancelled), OK: true},
	})
}
