package adapters_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
)

// fakeRules is the smallest platform: every request that passes the shared
// checks waits for the response window, accept cancels, anything else and
// silence escalate. It makes the shared checks visible on their own.
type fakeRules struct{ deliveredBlocks bool }

func (f fakeRules) DeliveredBlocks() bool { return f.deliveredBlocks }

func (fakeRules) Request(_ adapters.Order, c adapters.Cancellation, w adapters.Windows) adapters.Outcome {
	return adapters.Pending(c.OccurredAt.Add(w.ResponseWindow))
}

func (fakeRules) Respond(o adapters.Order, _ adapters.Request, d adapters.Decision) adapters.Outcome {
	if d == adapters.Accept {
		return adapters.Cancel(o, adapters.OriginalPayment)
	}
	return adapters.Outcome{State: adapters.Escalated}
}

func (fakeRules) Timeout(_ adapters.Order, _ adapters.Request) adapters.Outcome {
	return adapters.Outcome{State: adapters.Escalated}
}

var (
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Hour)
	windows  = adapters.Windows{ResponseWindow: 48 * time.Hour}
	due      = askedAt.Add(48 * time.Hour)
	escalate = adapters.Outcome{State: adapters.Escalated}
	fx       = adapterstest.Fixture{
		OrderID: "O-1", PlacedAt: placedAt, Total: adapters.Money{Amount: "10.00", Currency: "USD"},
		RequestID: "r-1",
	}
	paid = fx.Order(adapters.StatusPaid)
)

// pending is initiator's request, waiting for the other side until due.
func pending(initiator adapters.Party) adapters.Request {
	return fx.Stored(initiator, askedAt, adapters.Pending(due))
}

// stored is the buyer's request, standing at out.
func stored(out adapters.Outcome) adapters.Request {
	return fx.Stored(adapters.Buyer, askedAt, out)
}

// TestDecideRequestOrder pins the order of the shared checks: cancelled
// before request_open before delivered/completed before shipped, then the
// platform's rule.
func TestDecideRequestOrder(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name            string
		status          adapters.OrderStatus
		otherOpen       bool
		deliveredBlocks bool
		want            adapters.Outcome
	}{
		{name: "cancelled beats request_open", status: adapters.StatusCancelled, otherOpen: true, deliveredBlocks: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled", status: adapters.StatusCancelled, deliveredBlocks: true, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "cancelled, delivered not blocking", status: adapters.StatusCancelled, want: adapters.Deny(adapters.AlreadyCancelled)},
		{name: "request_open beats completed", status: adapters.StatusCompleted, otherOpen: true, deliveredBlocks: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "request_open beats delivered", status: adapters.StatusDelivered, otherOpen: true, deliveredBlocks: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "request_open beats shipped", status: adapters.StatusShipped, otherOpen: true, deliveredBlocks: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "request_open beats the rule", status: adapters.StatusPaid, otherOpen: true, want: adapters.Deny(adapters.RequestOpen)},
		{name: "completed", status: adapters.StatusCompleted, deliveredBlocks: true, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "completed blocks even where delivered does not", status: adapters.StatusCompleted, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "delivered", status: adapters.StatusDelivered, deliveredBlocks: true, want: adapters.Deny(adapters.AlreadyDelivered)},
		{name: "delivered, not blocking: the rule decides", status: adapters.StatusDelivered, want: adapters.Pending(due)},
		{name: "shipped", status: adapters.StatusShipped, deliveredBlocks: true, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "shipped, delivered not blocking", status: adapters.StatusShipped, want: adapters.Deny(adapters.AlreadyShipped)},
		{name: "placed: the rule decides", status: adapters.StatusPlaced, deliveredBlocks: true, want: adapters.Pending(due)},
		{name: "paid: the rule decides", status: adapters.StatusPaid, deliveredBlocks: true, want: adapters.Pending(due)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got := adapters.DecideRequest(fakeRules{deliveredBlocks: tt.deliveredBlocks}, windows, fx.Order(tt.status), fx.Request(adapters.Buyer, askedAt), tt.otherOpen, askedAt)
			if g, w := adapterstest.Wire(t, got), adapterstest.Wire(t, tt.want); g != w {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

// TestDecideRequestLate checks that a request processed once its respond_by
// has passed gets the timeout rule at once.
func TestDecideRequestLate(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{Rules: fakeRules{deliveredBlocks: true}, Defaults: windows}, []adapterstest.RequestCase{
		{Name: "1ns before respond_by", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "at respond_by", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Now: due, Want: escalate},
		{Name: "after respond_by", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(time.Hour), Want: escalate},
	})
}

func TestDecideResponse(t *testing.T) {
	t.Parallel()

	cancelled := fx.Cancelled(adapters.OriginalPayment)
	adapterstest.RunResponseCases(t, fakeRules{}, []adapterstest.ResponseCase{
		{Name: "accept", Order: paid, Request: pending(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, askedAt), Want: cancelled},
		{Name: "decline", Order: paid, Request: pending(adapters.Seller), Response: fx.Response(adapters.Buyer, adapters.Decline, askedAt), Want: escalate},
		{Name: "exactly at respond_by", Order: paid, Request: pending(adapters.Buyer), Response: fx.Response(adapters.Merchant, adapters.Accept, due), Want: cancelled},
		{Name: "1ns after respond_by", Order: paid, Request: pending(adapters.Buyer), Response: fx.Response(adapters.Seller, adapters.Accept, due.Add(1)), Want: adapters.Pending(due), Ignored: adapters.ResponseTooLate},
		{Name: "own side: buyer", Order: paid, Request: pending(adapters.Buyer), Response: fx.Response(adapters.Buyer, adapters.Accept, askedAt), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "own side: merchant for seller", Order: paid, Request: pending(adapters.Seller), Response: fx.Response(adapters.Merchant, adapters.Accept, askedAt), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "own side wins over too late", Order: paid, Request: pending(adapters.Buyer), Response: fx.Response(adapters.Buyer, adapters.Accept, due.Add(time.Hour)), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "not pending wins over own side", Order: paid, Request: stored(escalate), Response: fx.Response(adapters.Buyer, adapters.Accept, askedAt), Want: escalate, Ignored: adapters.NotPending},
		{Name: "awaiting its order", Order: paid, Request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), Response: fx.Response(adapters.Seller, adapters.Accept, askedAt), Want: adapters.Outcome{State: adapters.AwaitingOrder}, Ignored: adapters.NotPending},
	})
}

func TestDecideWithdrawal(t *testing.T) {
	t.Parallel()

	withdrawn := adapters.Outcome{State: adapters.Withdrawn}
	adapterstest.RunWithdrawalCases(t, []adapterstest.WithdrawalCase{
		{Name: "awaiting its order", Request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), Want: withdrawn},
		{Name: "pending", Request: pending(adapters.Buyer), Want: withdrawn},
		{Name: "escalated", Request: stored(escalate), Want: escalate, Ignored: adapters.WithdrawnByOther},
		{Name: "denied", Request: stored(adapters.Deny(adapters.RequestOpen)), Want: adapters.Deny(adapters.RequestOpen), Ignored: adapters.WithdrawnByOther},
		{Name: "withdrawn", Request: stored(withdrawn), Want: withdrawn, Ignored: adapters.WithdrawnByOther},
	})
}

func TestDecideTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunTimeoutCases(t, fakeRules{}, []adapterstest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pending(adapters.Buyer), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "at respond_by", Order: paid, Request: pending(adapters.Buyer), Now: due, Want: escalate, OK: true},
		{Name: "not pending", Order: paid, Request: stored(escalate), Now: due.Add(time.Hour), Want: escalate},
		{Name: "awaiting its order", Order: paid, Request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), Now: due.Add(time.Hour), Want: adapters.Outcome{State: adapters.AwaitingOrder}},
		{Name: "pending without respond_by", Order: paid, Request: stored(adapters.Outcome{State: adapters.PendingResponse}), Now: due.Add(time.Hour), Want: adapters.Outcome{State: adapters.PendingResponse}},
		// The shared checks apply at the deadline too.
		{Name: "shipped while pending", Order: fx.Order(adapters.StatusShipped), Request: pending(adapters.Buyer), Now: due, Want: adapters.Deny(adapters.AlreadyShipped), OK: true},
		{Name: "completed while pending", Order: fx.Order(adapters.StatusCompleted), Request: pending(adapters.Buyer), Now: due, Want: adapters.Deny(adapters.AlreadyDelivered), OK: true},
		{Name: "cancelled while pending", Order: fx.Order(adapters.StatusCancelled), Request: pending(adapters.Buyer), Now: due, Want: adapters.Deny(adapters.AlreadyCancelled), OK: true},
	})
}
