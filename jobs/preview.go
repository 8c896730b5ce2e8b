package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// decideNew decides new request c of the document's order the way every
// new request is decided: on the order as decided on (orderForRequest: an
// order one of our requests already cancelled counts as cancelled), with
// another pending request than r (nil: any pending request) denying it
// request_open, then by adapters.DecideRequest. The workers call it when a
// request arrives or its order's first snapshot does; Preview calls it
// without storing anything. The document must have an order.
func (t *transition) decideNew(r *storedRequest, c adapters.Cancellation) adapters.Outcome {
	return adapters.DecideRequest(t.adapter.Rules, t.adapter.Windows, t.orderForRequest(), c, t.otherPending(r), t.now)
}

// Preview is what a cancellation request made now would get, from the
// stored state only (docs/STOREFRONT.md).
type Preview struct {
	// Order is the stored snapshot; its BuyerID says whose order it is.
	Order adapters.Order
	// Would is the outcome the workers would decide for the request.
	Would adapters.Outcome
	// CancelBy is when the requester's cancel window closes, nil when the
	// platform's rule has no window for them.
	CancelBy *time.Time
	// Cancellation is the order's cancellation as the read API shows it,
	// nil when it has none.
	Cancellation *CancellationView
}

// previewRequest is Preview on a document already read: pure, the same
// decision path as the workers' (decideNew). c is the request as it would
// arrive; its OccurredAt is now.
func previewRequest(doc *orderDoc, ad *adapters.Adapter, orderID string, c adapters.Cancellation, now time.Time) Preview {
	t := transition{doc: doc, orderID: orderID, adapter: ad, now: now}
	p := Preview{Order: doc.Order.domain(orderID), Would: t.decideNew(nil, c)}
	// The window's end is found by asking the same rule about a request
	// just past placed_at + cancel_window: only a rule that then says
	// window_expired has a window for this requester (self-service ignores
	// a configured one; Shopify has none unless configured).
	if w := ad.Windows.CancelWindow; w > 0 {
		end := p.Order.PlacedAt.Add(w)
		late := c
		late.OccurredAt = end.Add(time.Nanosecond)
		if out := t.decideNew(nil, late); out.State == adapters.Denied && out.DenialReason == adapters.WindowExpired {
			p.CancelBy = &end
		}
	}
	if r := doc.shown(); r != nil {
		cv := r.view()
		p.Cancellation = &cv
	}
	return p
}

// Preview reads the order's document in one GET and tells what request c
// (its OccurredAt set to now) would get if it arrived now, by the workers'
// own decision path, storing nothing. An order without a snapshot is
// ErrNotFound: nothing can be decided on it yet.
func (s *Store) Preview(ctx context.Context, ad *adapters.Adapter, orderID string, c adapters.Cancellation, now time.Time) (*Preview, error) {
	doc, err := s.load(ctx, ad.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("preview order %s/%s: %w", ad.ID, orderID, err)
	}
	if doc.Order == nil {
		return nil, ErrNotFound
	}
	c.OrderID, c.Type, c.OccurredAt = orderID, adapters.CancellationRequested, now
	p := previewRequest(doc, ad, orderID, c, now)
	return &p, nil
}
