package woocommerce

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Defaults give the merchant 48 hours to answer a buyer who wants a paid
// order cancelled. There is no cancel window: WooCommerce lets an unpaid
// order be cancelled at any time.
func Defaults() platform.Windows {
	return platform.Windows{ResponseWindow: 48 * time.Hour}
}

// Policy is the WooCommerce rule (docs/WOOCOMMERCE.md). The shared checks
// have already denied a shipped, delivered, completed or cancelled order,
// so what reaches Request is placed (pending, on-hold, failed: never paid)
// or paid (processing).
//
// Who may request: buyer and merchant (the seller is the merchant).
type Policy struct{}

var (
	_ platform.Rules       = Policy{}
	_ platform.LatePayment = Policy{}
)

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels the merchant's request at once. A buyer may cancel an
// unpaid order alone, as WooCommerce core lets buyers cancel pending and
// failed orders (cancelsync adds on-hold, which is unpaid too); a paid
// order waits for the merchant until occurred_at + the response window.
func (Policy) Request(o platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	if c.Initiator.Side() != platform.Buyer || o.Status == platform.StatusPlaced {
		return cancel(o)
	}
	window := w.ResponseWindow
	if window <= 0 {
		window = Defaults().ResponseWindow
	}
	return platform.Pending(c.OccurredAt.Add(window))
}

// Respond cancels when the merchant accepts. A decline denies the request:
// WooCommerce has no dispute process to hand it to.
func (Policy) Respond(o platform.Order, _ platform.Request, d platform.Decision) platform.Outcome {
	if d == platform.Accept {
		return cancel(o)
	}
	return platform.Deny(platform.Declined)
}

// Timeout escalates: a merchant who does not answer leaves a paid order
// that the buyer wants cancelled, which is for the store's support to
// settle, never for cancelsync to refund on its own.
func (Policy) Timeout(platform.Order, platform.Request) platform.Outcome {
	return platform.Outcome{State: platform.Escalated}
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
func (Policy) RefundAfterCancel(o platform.Order, _ platform.Request) *platform.Refund {
	if o.Status != platform.StatusPaid {
		return nil
	}
	return cancel(o).Refund
}

// cancel is the outcome of a cancelled order: an order that was never paid
// (placed) has nothing to refund, so its refund is null and the sync sends
// no refund; a paid one is refunded in full to the original payment.
func cancel(o platform.Order) platform.Outcome {
	if o.Status == platform.StatusPlaced {
		return platform.Outcome{State: platform.Cancelled}
	}
	return platform.Cancel(o, platform.OriginalPayment)
}
