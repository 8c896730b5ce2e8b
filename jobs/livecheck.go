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

// liveFirst reads the order live when the adapter's platform can be read
// and the stored document says the task may decide (worth): a replay, a
// response to a request no longer pending or a stale deadline costs the
// platform no call. The document read to tell is handed back as known, so
// the compare-and-set saves its own read: no round trip is added. With no
// live reader, nothing is read here.
func (w *Worker) liveFirst(ctx context.Context, ad *platform.Adapter, orderID string, worth func(*order.Doc) bool) (liveRead, *orderstore.Stored, error) {
	if ad.Boundary == nil || ad.Boundary.Reader == nil {
		return liveRead{}, nil, nil
	}
	cur, err := w.store.Read(ctx, ad.ID, orderID)
	if err != nil {
		return liveRead{}, nil, err
	}
	doc, err := cur.Decoded(ad.ID, orderID)
	if err != nil || !worth(doc) {
		// A document that does not decode is the transaction's to report.
		return liveRead{}, &cur, nil
	}
	return w.readLive(ctx, ad, orderID), &cur, nil
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
