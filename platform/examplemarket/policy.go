package examplemarket

import "github.com/cancelsync/cancelsync/platform"

// Policy is Example Market's rule: a buyer may cancel an unshipped order
// within the cancel window and is paid back to the original payment; the
// merchant may cancel any unshipped order. Nothing waits for an answer.
type Policy struct{}

var _ platform.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels at once, or denies a buyer past the cancel window.
func (Policy) Request(o platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	if c.Initiator.Side() == platform.Buyer && w.CancelWindow > 0 && c.OccurredAt.Sub(o.PlacedAt) > w.CancelWindow {
		return platform.Deny(platform.WindowExpired)
	}
	return platform.Cancel(o, platform.OriginalPayment)
}

// Respond leaves r as it is: a request is never pending here.
func (Policy) Respond(_ platform.Order, r platform.Request, _ platform.Decision) platform.Outcome {
	return r.Outcome
}

// Timeout leaves r as it is, for the same reason as Respond.
func (Policy) Timeout(_ platform.Order, r platform.Request) platform.Outcome {
	return r.Outcome
}
