package woocommerce

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Defaults give the merchant 48 hours to answer a buyer who wants a paid
// order cancelled. There is no cancel window: WooCommerce lets an unpaid
// order be cancelled at any time.
func Defaults() adapters.Windows {
	return adapters.Windows{ResponseWindow: 48 * time.Hour}
}

// Policy is the WooCommerce rule (docs/WOOCOMMERCE.md). The shared checks
// have already denied a shipped, delivered, completed or cancelled order,
// so what reaches Request is placed (pending, on-hold, failed: never paid)
// or paid (processing).
//
// Who may request: buyer and merchant (the seller is the merchant).
type Policy struct{}

var (
	_ adapters.Rules       = Policy{}
	_ adapters.LatePayment = Policy{}
)

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels the merchant's request at once. A buyer may cancel an
// unpaid order alone, as WooCommerce core lets buyers cancel pending and
// failed orders (cancelsync adds on-hold, which is unpaid too); a paid
// order waits for the merchant until occurred_at + the response window.
func (Policy) Request(o adapters.Order, c adapters.Cancellation, w adapters.Windows) adapters.Outcome {
	if c.Initiator.Side() != adapters.Buyer || o.Status == adapters.StatusPlaced {
		return cancel(o)
	}
	window := w.ResponseWindow
	if window <= 0 {
		window = Defaults().ResponseWindow
	}
	return adapters.Pending(c.OccurredAt.Add(window))
}

// Respond cancels when the merchant accepts. A decline denies the request:
// WooCommerce has no dispute process to hand it to.
func (Policy) Respond(o adapters.Order, _ adapters.Request, d adapters.Decision) adapters.Outcome {
	if d == adapters.Accept {
		return cancel(o)
	}
	return adapters.Deny(adapters.Declined)
}

// Timeout escalates: a merchant who does not answer leaves a paid order
// that the buyer wants cancelled, which is for the store's support to
// settle, never for cancelsync to refund on its own.
func (Policy) Timeout(adapters.Order, adapters.Request) adapters.Outcome {
	return adapters.Outcome{State: adapters.Escalated}
}

// RefundAfterCancel owes a cancellation made while the order was unpaid
// the total back to the original payment once a newer snapshot says
// processing (paid): the buyer paid at the gateway while the cancellation
// was on its way to the store. A cancelled or refunded snapshot owes
// nothing: refunded means the store paid the buyer back, and cancelled is
// most often our own status change coming back and says nothing about a
// payment. A shipped or completed one owes nothing either: the goods went
// out, which is the shipped-after-cancel conflict for the merchant to
// settle, not a refund to make on their behalf.
func (Policy) RefundAfterCancel(o adapters.Order, _ adapters.Request) *adapters.Refund {
	if o.Status != adapters.StatusPaid {
		return nil
	}
	return cancel(o).Refund
}

// cancel is the outcome of a cancelled order: an order that was never paid
// (placed) has nothing to refund, so its refund is null and the sync sends
// no refund; a paid one is refunded in full to the original payment.
func cancel(o adapters.Order) adapters.Outcome {
	if o.Status == adapters.StatusPlaced {
		return adapters.Outcome{State: adapters.Cancelled}
	}
	return adapters.Cancel(o, adapters.OriginalPayment)
}
