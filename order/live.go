package order

import "github.com/cancelsync/cancelsync/platform"

// MayDecideOnDelivery reports whether applying cancellation c, delivered
// as webhookID, can decide a request on the order's state, so that
// reading the order live first is worth it (docs/API.md §13): not a
// delivery already applied (a replay), and for a response only one to a
// request still pending_response. A new request may always decide; one
// whose request id the order has already only gets a note (duplicate).
func (d *Doc) MayDecideOnDelivery(webhookID string, c *platform.Cancellation) bool {
	if c == nil || d.seen(webhookID) {
		return false
	}
	switch c.Type {
	case platform.CancellationRequested:
		return d.Request(c.RequestID) == nil
	case platform.CancellationResponded:
		r := d.Request(c.RequestID)
		return r != nil && r.State == platform.PendingResponse
	}
	return false
}

// MayDecideOnTimer reports whether timer tm can decide: a deadline whose
// request is still pending_response.
func (d *Doc) MayDecideOnTimer(tm Timer) bool {
	if tm.Kind != TimerDeadline {
		return false
	}
	r := d.Request(tm.RequestID)
	return r != nil && r.State == platform.PendingResponse
}
