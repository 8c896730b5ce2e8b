package adapters_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
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
)

func order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{ID: "O-1", Status: status, PlacedAt: placedAt, UpdatedAt: placedAt, Total: adapters.Money{Amount: "10.00", Currency: "USD"}}
}

func pending(initiator adapters.Party) adapters.Request {
	return adapters.Request{RequestID: "r-1", Initiator: initiator, OccurredAt: askedAt, Outcome: adapters.Pending(due)}
}

func stored(out adapters.Outcome) adapters.Request {
	return adapters.Request{RequestID: "r-1", Initiator: adapters.Buyer, OccurredAt: askedAt, Outcome: out}
}

// wire shows an outcome as the sync payload would, so a failure reads plainly.
func wire(t *testing.T, o adapters.Outcome) string {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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

			c := adapters.Cancellation{Type: adapters.CancellationRequested, RequestID: "r-1", Initiator: adapters.Buyer, OccurredAt: askedAt}
			got := adapters.DecideRequest(fakeRules{deliveredBlocks: tt.deliveredBlocks}, windows, order(tt.status), c, tt.otherOpen, askedAt)
			if g, w := wire(t, got), wire(t, tt.want); g != w {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

// TestDecideRequestLate checks that a request processed once its respond_by
// has passed gets the timeout rule at once.
func TestDecideRequestLate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		now  time.Time
		want adapters.Outcome
	}{
		{name: "1ns before respond_by", now: due.Add(-1), want: adapters.Pending(due)},
		{name: "at respond_by", now: due, want: escalate},
		{name: "after respond_by", now: due.Add(time.Hour), want: escalate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			c := adapters.Cancellation{Type: adapters.CancellationRequested, RequestID: "r-1", Initiator: adapters.Buyer, OccurredAt: askedAt}
			got := adapters.DecideRequest(fakeRules{deliveredBlocks: true}, windows, order(adapters.StatusPaid), c, false, tt.now)
			if g, w := wire(t, got), wire(t, tt.want); g != w {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

func TestDecideResponse(t *testing.T) {
	t.Parallel()

	cancelled := adapters.Cancel(order(adapters.StatusPaid), adapters.OriginalPayment)
	tests := []struct {
		name      string
		request   adapters.Request
		responder adapters.Party
		decision  adapters.Decision
		at        time.Time
		want      adapters.Outcome
		ignored   adapters.Ignored
	}{
		{name: "accept", request: pending(adapters.Buyer), responder: adapters.Seller, decision: adapters.Accept, at: askedAt, want: cancelled},
		{name: "decline", request: pending(adapters.Seller), responder: adapters.Buyer, decision: adapters.Decline, at: askedAt, want: escalate},
		{name: "exactly at respond_by", request: pending(adapters.Buyer), responder: adapters.Merchant, decision: adapters.Accept, at: due, want: cancelled},
		{name: "1ns after respond_by", request: pending(adapters.Buyer), responder: adapters.Seller, decision: adapters.Accept, at: due.Add(1), want: adapters.Pending(due), ignored: adapters.ResponseTooLate},
		{name: "own side: buyer", request: pending(adapters.Buyer), responder: adapters.Buyer, decision: adapters.Accept, at: askedAt, want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "own side: merchant for seller", request: pending(adapters.Seller), responder: adapters.Merchant, decision: adapters.Accept, at: askedAt, want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "own side wins over too late", request: pending(adapters.Buyer), responder: adapters.Buyer, decision: adapters.Accept, at: due.Add(time.Hour), want: adapters.Pending(due), ignored: adapters.OwnSideResponse},
		{name: "not pending wins over own side", request: stored(escalate), responder: adapters.Buyer, decision: adapters.Accept, at: askedAt, want: escalate, ignored: adapters.NotPending},
		{name: "awaiting its order", request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), responder: adapters.Seller, decision: adapters.Accept, at: askedAt, want: adapters.Outcome{State: adapters.AwaitingOrder}, ignored: adapters.NotPending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			c := adapters.Cancellation{Type: adapters.CancellationResponded, RequestID: "r-1", Responder: tt.responder, Decision: tt.decision, OccurredAt: tt.at}
			got, ignored := adapters.DecideResponse(fakeRules{}, order(adapters.StatusPaid), tt.request, c)
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q\nwant %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}

func TestDecideWithdrawal(t *testing.T) {
	t.Parallel()

	withdrawn := adapters.Outcome{State: adapters.Withdrawn}
	tests := []struct {
		name    string
		request adapters.Request
		want    adapters.Outcome
		ignored adapters.Ignored
	}{
		{name: "awaiting its order", request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), want: withdrawn},
		{name: "pending", request: pending(adapters.Buyer), want: withdrawn},
		{name: "escalated", request: stored(escalate), want: escalate, ignored: adapters.WithdrawnByOther},
		{name: "denied", request: stored(adapters.Deny(adapters.RequestOpen)), want: adapters.Deny(adapters.RequestOpen), ignored: adapters.WithdrawnByOther},
		{name: "withdrawn", request: stored(withdrawn), want: withdrawn, ignored: adapters.WithdrawnByOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ignored := adapters.DecideWithdrawal(tt.request)
			if ignored != tt.ignored || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %q\nwant %s, %q", wire(t, got), ignored, wire(t, tt.want), tt.ignored)
			}
		})
	}
}

func TestDecideTimeout(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		request adapters.Request
		now     time.Time
		want    adapters.Outcome
		ok      bool
	}{
		{name: "1ns before respond_by", request: pending(adapters.Buyer), now: due.Add(-1), want: adapters.Pending(due)},
		{name: "at respond_by", request: pending(adapters.Buyer), now: due, want: escalate, ok: true},
		{name: "not pending", request: stored(escalate), now: due.Add(time.Hour), want: escalate},
		{name: "awaiting its order", request: stored(adapters.Outcome{State: adapters.AwaitingOrder}), now: due.Add(time.Hour), want: adapters.Outcome{State: adapters.AwaitingOrder}},
		{name: "pending without respond_by", request: stored(adapters.Outcome{State: adapters.PendingResponse}), now: due.Add(time.Hour), want: adapters.Outcome{State: adapters.PendingResponse}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			got, ok := adapters.DecideTimeout(fakeRules{}, order(adapters.StatusPaid), tt.request, tt.now)
			if ok != tt.ok || wire(t, got) != wire(t, tt.want) {
				t.Errorf("got %s, %v\nwant %s, %v", wire(t, got), ok, wire(t, tt.want), tt.ok)
			}
		})
	}
}
