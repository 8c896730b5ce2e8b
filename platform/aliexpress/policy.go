package aliexpress

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Defaults gives the seller 48 hours to answer a buyer, about what
// AliExpress allows before it acts on its own. There is no cancel window: an
// unshipped order may be cancelled any time.
func Defaults() platform.Windows {
	return platform.Windows{ResponseWindow: 48 * time.Hour}
}

// Policy is AliExpress's rule. The shared checks have already denied a
// shipped order, so Request only weighs who asked. Every cancel refunds the
// original payment.
//
// Who may request: buyer and seller; the merchant is the seller (docs/API.md
// §4), so every initiator ingest accepts is allowed.
type Policy struct{}

var _ platform.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels a seller's request at once, since the seller is the one
// who would have to agree. A buyer's request waits for the seller until
// occurred_at + the response window; a zero response window means the
// adapter set none, so AliExpress's default applies.
func (Policy) Request(o platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	if c.Initiator.Side() != platform.Buyer {
		return platform.Cancel(o, platform.OriginalPayment)
	}
	window := w.ResponseWindow
	if window <= 0 {
		window = Defaults().ResponseWindow
	}
	return platform.Pending(c.OccurredAt.Add(window))
}

// Respond cancels when the seller accepts. A decline is escalated: the buyer
// still wants out and the seller refuses, which AliExpress settles as a
// dispute. Ingest admits only accept and decline.
func (Policy) Respond(o platform.Order, _ platform.Request, d platform.Decision) platform.Outcome {
	if d == platform.Accept {
		return platform.Cancel(o, platform.OriginalPayment)
	}
	return platform.Outcome{State: platform.Escalated}
}

// Timeout cancels: a seller who does not answer in time is taken to agree,
// as AliExpress auto-approves the request.
func (Policy) Timeout(o platform.Order, _ platform.Request) platform.Outcome {
	return platform.Cancel(o, platform.OriginalPayment)
}
