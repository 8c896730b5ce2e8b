package platform

import (
	"time"
)

// Windows are a platform's time limits; each adapter may override them in
// its config's policy block. A zero window means the platform has none.
type Windows struct {
	// CancelWindow runs from the order's placed_at to the request's occurred_at.
	CancelWindow time.Duration
	// ResponseWindow runs from the request's occurred_at to its respond_by.
	ResponseWindow time.Duration
}

// Rules is one platform's cancellation policy after the checks every
// platform shares (see DecideRequest). Implementations are pure: no I/O, no
// clock; time comes in through the arguments.
type Rules interface {
	// DeliveredBlocks reports whether a delivered order blocks a request
	// (true everywhere but Fiverr, where only completed does).
	DeliveredBlocks() bool
	// Request decides a new request on an order that passed the shared checks.
	Request(o Order, c Cancellation, w Windows) Outcome
	// Respond decides a pending request that the counterparty answered.
	Respond(o Order, r Request, d Decision) Outcome
	// Timeout decides a pending request nobody answered by its respond_by.
	Timeout(o Order, r Request) Outcome
}

// DecideRequest decides a new cancellation request. otherOpen reports whether
// another request of the order is still pending_response. The shared checks
// run first, in the contract's order, then the platform's rule; a pending
// outcome whose respond_by has already passed at now times out at once. A
// request for some lines (c.Lines) is decided the same way on the order as
// its lines leave it (see checkLines), and settled to their refund.
func DecideRequest(rules Rules, w Windows, o Order, c Cancellation, otherOpen bool, now time.Time) Outcome {
	ro, out, denied := checkLines(rules, o, c.Lines, otherOpen)
	if denied {
		return settle(o, c.Lines, out)
	}
	out = rules.Request(ro, c, w)
	if out.State == PendingResponse && out.RespondBy != nil && !now.Before(*out.RespondBy) {
		r := Request{RequestID: c.RequestID, Initiator: c.Initiator, Reason: c.Reason, OccurredAt: c.OccurredAt, Outcome: out}
		out = rules.Timeout(ro, r)
	}
	return settle(o, c.Lines, out)
}

// checkLines are the shared checks for a request for lines (nil: the whole
// order). A line asked for more units than it still has to cancel denies
// the whole request already_shipped; and a partly fulfilled order is no
// obstacle to cancelling units that are not, so the platform's rule then
// decides on the order as if unshipped (ro), the part asked for being so.
func checkLines(rules Rules, o Order, lines []LineRequest, otherOpen bool) (ro Order, out Outcome, denied bool) {
	ro = o
	switch {
	case o.Status == StatusCancelled:
		return ro, Deny(AlreadyCancelled), true
	case otherOpen:
		return ro, Deny(RequestOpen), true
	case o.Status == StatusCompleted, o.Status == StatusDelivered && rules.DeliveredBlocks():
		return ro, Deny(AlreadyDelivered), true
	case lines != nil && !o.linesFit(lines):
		return ro, Deny(AlreadyShipped), true
	case o.Status == StatusShipped && lines != nil && o.partlyFulfilled():
		ro.Status, ro.ShippedAt = StatusPaid, nil
	case o.Status == StatusShipped:
		return ro, Deny(AlreadyShipped), true
	}
	return ro, Outcome{}, false
}

// Ignored explains why an event changed nothing; empty means it applies.
type Ignored string

const (
	NotIgnored        Ignored = ""
	UnknownRequest    Ignored = "unknown request"
	NotPending        Ignored = "request is no longer pending_response"
	OwnSideResponse   Ignored = "response from the requester's own side"
	ResponseTooLate   Ignored = "response after respond_by"
	DuplicateRequest  Ignored = "request_id already known"
	SnapshotNotNewer  Ignored = "snapshot not newer than the stored one"
	WithdrawnByOther  Ignored = "withdrawal for a request that is no longer open"
	RequestOnAwaiting Ignored = "another request is awaiting its order"
)

// DecideResponse decides a counterparty's answer to request r. A response
// that cannot apply is ignored with the reason; the caller records it and
// changes nothing else.
func DecideResponse(rules Rules, o Order, r Request, c Cancellation) (Outcome, Ignored) {
	if r.State != PendingResponse {
		return r.Outcome, NotPending
	}
	if c.Responder.Side() == r.Initiator.Side() {
		return r.Outcome, OwnSideResponse
	}
	if r.RespondBy != nil && c.OccurredAt.After(*r.RespondBy) {
		return r.Outcome, ResponseTooLate
	}
	lines := requested(r.Lines)
	ro, out, denied := checkLines(rules, o, lines, false)
	if denied {
		return settle(o, lines, out), NotIgnored
	}
	return settle(o, lines, rules.Respond(ro, r, c.Decision)), NotIgnored
}

// DecidePlatformCancel resolves pending request r when a snapshot says the
// platform cancelled the order: the request is cancelled, refunded as the
// platform's rule refunds an accepted request (original payment when that
// rule would not cancel). ok is false for a request that is not pending.
func DecidePlatformCancel(rules Rules, o Order, r Request) (out Outcome, ok bool) {
	if r.State != PendingResponse {
		return r.Outcome, false
	}
	out = rules.Respond(o, r, Accept)
	if out.State != Cancelled {
		out = Cancel(o, OriginalPayment)
	}
	return settle(o, requested(r.Lines), out), true
}

// LatePayment is implemented by Rules that cancel an unpaid order without a
// refund (WooCommerce): such a cancellation is owed a refund if the order
// then turns out paid after all, since a buyer is never charged for a
// cancelled order (docs/GUARANTEES.md). Rules whose cancellations always
// carry their refund do not implement it.
type LatePayment interface {
	// RefundAfterCancel is the refund owed to r, cancelled without one,
	// now that a newer snapshot says the order is o; nil when o shows no
	// payment to give back.
	RefundAfterCancel(o Order, r Request) *Refund
}

// DecidePaidAfterCancel gives r, cancelled without a refund, the refund its
// platform's rule owes now that the order is o: the same state with the
// refund set, fitted to r's lines when it cancelled some. ok is false when r is not such a request, the platform has
// no such rule, or nothing is owed.
func DecidePaidAfterCancel(rules Rules, o Order, r Request) (out Outcome, ok bool) {
	lp, has := rules.(LatePayment)
	if !has || r.State != Cancelled || r.Refund != nil {
		return r.Outcome, false
	}
	refund := lp.RefundAfterCancel(o, r)
	if refund == nil {
		return r.Outcome, false
	}
	out = r.Outcome
	out.Refund = refund
	// A request for some lines stays one: the order goes on, and only its
	// cancelled lines are refunded (docs/API.md, "Cancelling some lines").
	return settle(o, requested(r.Lines), out), true
}

// DecideWithdrawal decides the requester's withdrawal of request r.
func DecideWithdrawal(r Request) (Outcome, Ignored) {
	if !r.Open() {
		return r.Outcome, WithdrawnByOther
	}
	return Outcome{State: Withdrawn}, NotIgnored
}

// DecideTimeout applies the platform's timeout rule to r if it is still
// pending and its respond_by has passed at now; ok is false otherwise.
func DecideTimeout(rules Rules, o Order, r Request, now time.Time) (out Outcome, ok bool) {
	if r.State != PendingResponse || r.RespondBy == nil || now.Before(*r.RespondBy) {
		return r.Outcome, false
	}
	lines := requested(r.Lines)
	ro, out, denied := checkLines(rules, o, lines, false)
	if denied {
		return settle(o, lines, out), true
	}
	return settle(o, lines, rules.Timeout(ro, r)), true
}
