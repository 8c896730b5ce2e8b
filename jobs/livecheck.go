package jobs

import (
	"context"
	"log/slog"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// liveRead is an order read from the platform just before a decision
// (docs/API.md §13, "Live check at decision time"), handed to the pure
// transition: the I/O is here, the ordering rules are package order's.
type liveRead struct {
	order  *platform.Order
	failed bool
	// err says why it failed, for the console.
	err string
}

// readLive reads orderID from ad's platform within its api.timeout. A
// platform without a live read gives the zero liveRead: no check.
func (w *Worker) readLive(ctx context.Context, ad *platform.Adapter, orderID string) liveRead {
	b := ad.Boundary
	if b == nil || b.Reader == nil {
		return liveRead{}
	}
	if b.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.Timeout)
		defer cancel()
	}
	o, err := b.Reader.Order(ctx, orderID)
	if err != nil || o.ID != orderID {
		msg := "the platform answered another order"
		if err != nil {
			msg = err.Error()
		}
		w.log.WarnContext(ctx, "live check failed: deciding on the stored snapshot",
			slog.String("adapter", ad.ID), slog.String("order_id", orderID), slog.String("error", msg))
		return liveRead{failed: true, err: msg}
	}
	return liveRead{order: o}
}

// set hands the read to a transition.
func (l liveRead) set(tr *order.Transition) {
	tr.Live, tr.LiveFailed = l.order, l.failed
}

// needsLive reports whether applying ev may decide a request on the
// order's state: a new request or a response (a withdrawal never looks at
// the order).
func needsLive(ev platform.Event) bool {
	c := ev.Cancellation
	return c != nil && (c.Type == platform.CancellationRequested || c.Type == platform.CancellationResponded)
}

// countLive records what the live check found: the metric, and a failure
// in the adapter's boundary record for the console.
func (w *Worker) countLive(ctx context.Context, ad *platform.Adapter, orderID string, live liveRead, r order.LiveResult) {
	w.metrics.liveChecked(ad, string(r))
	if r == order.LiveFailed {
		f := orderstore.LiveFailure{At: w.now().UTC(), OrderID: orderID, Error: live.err}
		if err := w.store.CountLiveFailure(ctx, ad.ID, f); err != nil {
			w.log.WarnContext(ctx, "count live check failure", slog.String("adapter", ad.ID), slog.String("error", err.Error()))
		}
	}
}
