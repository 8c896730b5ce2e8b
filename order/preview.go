package order

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// decideNew decides new request c of the document's order the way every
// new request is decided: on the order as decided on (orderForRequest: an
// order one of our requests already cancelled counts as cancelled), with
// another pending request than r (nil: any pending request) denying it
// request_open, then by platform.DecideRequest. The workers call it when a
// request arrives or its order's first snapshot does; Preview calls it
// without storing anything. The document must have an order.
func (t *Transition) decideNew(r *Request, c platform.Cancellation) platform.Outcome {
	return platform.DecideRequest(t.Adapter.Rules, t.Adapter.Windows, t.orderForRequest(), c, t.otherPending(r), t.Now)
}

// Preview is what a cancellation request made now would get, from the
// stored state only (docs/STOREFRONT.md).
type Preview struct {
	// Order is the stored snapshot; its BuyerID says whose order it is.
	Order platform.Order
	// Would is the outcome the workers would decide for the request.
	Would platform.Outcome
	// CancelBy is when the requester's cancel window closes, nil when the
	// platform's rule has no window for them.
	CancelBy *time.Time
	// Cancellation is the order's cancellation as the read API shows it,
	// nil when it has none.
	Cancellation *CancellationView
	// Lines are the order's lines that have an id, each with how many of
	// its units a request made now could cancel; none when the adapter's
	// platform cancels whole orders only.
	Lines []LinePreview
}

// LinePreview is one line of the order and what of it can be cancelled.
type LinePreview struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// Cancellable is how many units a request made now could cancel: the
	// line's cancellable units, or 0 when the decision would deny them.
	Cancellable int `json:"cancellable"`
}

// PreviewOf is what request c would get if it arrived now, on a document
// already read that has an order: the same decision path as the workers'
// (decideNew), storing nothing. c is the request as it would arrive; its
// OccurredAt is now.
func PreviewOf(doc *Doc, ad *platform.Adapter, orderID string, c platform.Cancellation, now time.Time) Preview {
	t := Transition{Doc: doc, OrderID: orderID, Adapter: ad, Now: now}
	p := Preview{Order: doc.Order.Domain(orderID), Would: t.decideNew(nil, c)}
	// The window's end is found by asking the same rule about a request
	// just past placed_at + cancel_window: only a rule that then says
	// window_expired has a window for this requester (self-service ignores
	// a configured one; Shopify has none unless configured).
	if w := ad.Windows.CancelWindow; w > 0 {
		end := p.Order.PlacedAt.Add(w)
		late := c
		late.OccurredAt = end.Add(time.Nanosecond)
		if out := t.decideNew(nil, late); out.State == platform.Denied && out.DenialReason == platform.WindowExpired {
			p.CancelBy = &end
		}
	}
	if r := doc.Shown(); r != nil {
		cv := r.View()
		p.Cancellation = &cv
	}
	if ad.Lines {
		p.Lines = t.previewLines(p.Order, c)
	}
	return p
}

// previewLines asks the decision, line by line, whether a request for all
// of a line's cancellable units made now would be denied.
func (t *Transition) previewLines(o platform.Order, c platform.Cancellation) []LinePreview {
	out := []LinePreview{}
	for _, it := range o.Items {
		if it.LineID == "" {
			continue
		}
		n := it.Cancellable()
		if n > 0 {
			c.Lines = []platform.LineRequest{{LineID: it.LineID, Quantity: n}}
			if t.decideNew(nil, c).State == platform.Denied {
				n = 0
			}
		}
		out = append(out, LinePreview{LineID: it.LineID, SKU: it.SKU, Quantity: it.Quantity, Cancellable: n})
	}
	return out
}
