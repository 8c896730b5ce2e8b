package fiverr

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Defaults gives the counterparty 48 hours to answer, Fiverr's limit before
// support steps in. There is no cancel window: a mutual cancellation may be
// asked for at any point of the order.
func Defaults() platform.Windows {
	return platform.Windows{ResponseWindow: 48 * time.Hour}
}

// Policy is Fiverr's mutual cancellation. The order is a service, so
// delivered work does not end it: only a completed order blocks a request.
// Every cancel refunds the original payment.
//
// Who may request: buyer and seller; the merchant is the seller (docs/API.md
// §4), so every initiator ingest accepts is allowed.
type Policy struct{}

var _ platform.Rules = Policy{}

// DeliveredBlocks is false: the buyer may still dispute delivered work, so
// a delivered order can be cancelled until it is completed.
func (Policy) DeliveredBlocks() bool { return false }

// Request waits for the other side until occurred_at + the response window,
// whoever asked: neither side can cancel alone. A zero response window means
// the adapter set none, so Fiverr's default applies.
func (Policy) Request(_ platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	window := w.ResponseWindow
	if window <= 0 {
		window = Defaults().ResponseWindow
	}
	return platform.Pending(c.OccurredAt.Add(window))
}

// Respond cancels when the counterparty accepts and escalates a decline to
// customer support. Ingest admits only accept and decline.
func (Policy) Respond(o platform.Order, r platform.Request, d platform.Decision) platform.Outcome {
	if d != platform.Accept {
		return platform.Outcome{State: platform.Escalated}
	}
	out := platform.Cancel(o, platform.OriginalPayment)
	out.AffectsSellerStats = affectsSellerStats(o, r.Initiator)
	return out
}

// Timeout escalates: Fiverr does not cancel an order that one side has not
// agreed to, so silence goes to customer support.
func (Policy) Timeout(_ platform.Order, _ platform.Request) platform.Outcome {
	return platform.Outcome{State: platform.Escalated}
}

// affectsSellerStats reports whether a cancel counts against the seller:
// only when the seller walked away from an order whose buyer had already
// submitted the requirements, i.e. the seller dropped work they could have
// started. It reads the order as it stands at the decision, not at the
// request, since requirements may arrive while the request waits.
func affectsSellerStats(o platform.Order, initiator platform.Party) bool {
	return initiator.Side() == platform.Seller && o.RequirementsSubmitted
}
