package orderstore

import (
	"context"
	"fmt"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// Preview reads the order's document in one GET and tells what request c
// (its OccurredAt set to now) would get if it arrived now, by the workers'
// own decision path, storing nothing. An order without a snapshot is
// ErrNotFound: nothing can be decided on it yet.
func (s *Store) Preview(ctx context.Context, ad *platform.Adapter, orderID string, c platform.Cancellation, now time.Time) (*order.Preview, error) {
	doc, err := s.Load(ctx, ad.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("preview order %s/%s: %w", ad.ID, orderID, err)
	}
	return PreviewDoc(doc, ad, orderID, c, now)
}

// PreviewDoc is Preview on a document already read (Store.Load), for a
// caller that shows the order too and so reads it once.
func PreviewDoc(doc *order.Doc, ad *platform.Adapter, orderID string, c platform.Cancellation, now time.Time) (*order.Preview, error) {
	if doc.Order == nil {
		return nil, ErrNotFound
	}
	c.OrderID, c.Type, c.OccurredAt = orderID, platform.CancellationRequested, now
	p := order.PreviewOf(doc, ad, orderID, c, now)
	return &p, nil
}
