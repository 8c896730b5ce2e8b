package examplemarket

import "github.com/cancelsync/cancelsync/adapters"

// Policy is Example Market's rule: a buyer may cancel an unshipped order
// within the cancel window and is paid back to the original payment; the
// merchant may cancel any unshipped order. Nothing waits for an answer.
type Policy struct{}

var _ adapters.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels at once, or denies a buyer past the cancel window.
func (Policy) Request(o adapters.Order, c adapters.Cancellation, w adapters.Windows) adapters.Outcome {
	if c.Initiator.Side() == adapters.Buyer && w.CancelWindow > 0 && c.OccurredAt.Sub(o.PlacedAt) > w.CancelWindow {
		return adapters.Deny(adapters.WindowExpired)
	}
	return adapters.Cancel(o, adapters.OriginalPayment)
}

// Respond leaves r as it is: a request is never pending here.
func (Policy) Respond(_ adapters.Order, r adapters.Request, _ adapters.Decision) adapters.Outcome {
	return r.Outcome
}

// Timeout leaves r as it is, for the same reason as Respond.
func (Policy) Timeout(_ adapters.Order, r adapters.Request) adapters.Outcome {
	return r.Outcome
}
