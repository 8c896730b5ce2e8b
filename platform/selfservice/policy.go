package selfservice

import (
	"github.com/cancelsync/cancelsync/platform"
)

// Defaults has no windows: a self-service cancel is decided at once and only
// the order's status limits it. A window set in an adapter's policy block is
// ignored, because the rule has nothing for it to bound.
func Defaults() platform.Windows { return platform.Windows{} }

// Policy is the self-service rule. The shared checks have already denied a
// shipped, delivered or cancelled order, so whatever reaches Request is
// unshipped and is cancelled on the spot.
//
// Who may request: buyer and merchant. The seller is the merchant (docs/API.md
// §4), so every initiator ingest accepts is allowed and there is no denial
// for the wrong party.
type Policy struct{}

var _ platform.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling; returns
// take over.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels at once. The money goes back the way it came, because the
// merchant runs the checkout and holds the payment.
func (Policy) Request(o platform.Order, _ platform.Cancellation, _ platform.Windows) platform.Outcome {
	return platform.Cancel(o, platform.OriginalPayment)
}

// Respond leaves r as it is: a self-service request is never pending, so
// there is nothing to answer (DecideResponse ignores it before asking).
func (Policy) Respond(_ platform.Order, r platform.Request, _ platform.Decision) platform.Outcome {
	return r.Outcome
}

// Timeout leaves r as it is, for the same reason as Respond.
func (Policy) Timeout(_ platform.Order, r platform.Request) platform.Outcome {
	return r.Outcome
}
