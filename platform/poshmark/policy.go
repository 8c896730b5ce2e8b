package poshmark

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Defaults gives a buyer three hours from checkout, Poshmark's own limit.
// Poshmark never waits for an answer, so there is no response window.
func Defaults() platform.Windows {
	return platform.Windows{CancelWindow: 3 * time.Hour}
}

// Policy is Poshmark's rule. The shared checks have already denied a
// shipped order (returns take over from there), so Request only weighs who
// asked and when.
//
// Who may request: buyer and seller; the merchant is the seller (docs/API.md
// §4), so every initiator ingest accepts is allowed.
type Policy struct{}

var _ platform.Rules = Policy{}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels a buyer's request made within the cancel window of
// placed_at, edge included, and refunds it as Poshmark credit, which is how
// Poshmark pays back a buyer-initiated cancel; later it is denied
// window_expired. The seller's own cancel has no window and refunds the
// original payment, because the buyer did not choose it.
//
// A request stamped before placed_at (clock skew between the platform's
// events) is inside the window. A zero cancel window means the adapter set
// none, so Poshmark's default applies.
func (Policy) Request(o platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	if c.Initiator.Side() != platform.Buyer {
		return platform.Cancel(o, platform.OriginalPayment)
	}
	window := w.CancelWindow
	if window <= 0 {
		window = Defaults().CancelWindow
	}
	if c.OccurredAt.Sub(o.PlacedAt) > window {
		return platform.Deny(platform.WindowExpired)
	}
	return platform.Cancel(o, platform.PlatformCredit)
}

// Respond leaves r as it is: a Poshmark request is never pending, so there
// is nothing to answer (DecideResponse ignores it before asking).
func (Policy) Respond(_ platform.Order, r platform.Request, _ platform.Decision) platform.Outcome {
	return r.Outcome
}

// Timeout leaves r as it is, for the same reason as Respond.
func (Policy) Timeout(_ platform.Order, r platform.Request) platform.Outcome {
	return r.Outcome
}
