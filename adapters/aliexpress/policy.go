package aliexpress

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Defaults gives the seller 48 hours to answer a buyer, about what
// AliExpress allows before it acts on its own. There is no cancel window: an
// unshipped order may be cancelled any time.
func Defaults() adapters.Windows {
	return adapters.Windows{ResponseWindow: 48 * time.Hour}
}

// Policy is AliExpress's rule. The shared checks have already denied a
// shipped order, so Request only weighs who asked. Every cancel refunds the
// original payment.
//
// Who may request: buyer and seller; the merchant is the seller (docs/API.md
// §4), so every initiator ingest accepts is allowed.
type Policy struct{}

var _ adapters.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels a seller's request at once, since the seller is the one
// who would have to agree. A buyer's request waits for the seller until
// occurred_at + the response window; a zero response window means the
// adapter set none, so AliExpress's default applies.
func (Policy) Request(o adapters.Order, c adapters.Cancellation, w adapters.Windows) adapters.Outcome {
	if c.Initiator.Side() != adapters.Buyer {
		return adapters.Cancel(o, adapters.OriginalPayment)
	}
	window := w.ResponseWindow
	if window <= 0 {
		window = Defaults().ResponseWindow
	}
	return adapters.Pending(c.OccurredAt.Add(window))
}

// Respond cancels when the seller accepts. A decline is escalated: the buyer
// still wants out and the seller refuses, which AliExpress settles as a
// dispute. Ingest admits only accept and decline.
func (Policy) Respond(o adapters.Order, _ adapters.Request, d adapters.Decision) adapters.Outcome {
	if d == adapters.Accept {
		return adapters.Cancel(o, adapters.OriginalPayment)
	}
	return adapters.Outcome{State: adapters.Escalated}
}

// Timeout cancels: a seller who does not answer in time is taken to agree,
// as AliExpress auto-approves the request.
func (Policy) Timeout(o adapters.Order, _ adapters.Request) adapters.Outcome {
	return adapters.Cancel(o, adapters.OriginalPayment)
}
