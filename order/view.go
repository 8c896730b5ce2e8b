package order

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// OrderView is the read API's document for one order (docs/API.md §6).
type OrderView struct {
	Adapter      string            `json:"adapter"`
	Platform     string            `json:"platform"`
	OrderID      string            `json:"order_id"`
	Order        *OrderSummary     `json:"order"`
	Cancellation *CancellationView `json:"cancellation"`
	Sync         *SyncView         `json:"sync"`
	Conflict     *string           `json:"conflict"`
	History      []HistoryEntry    `json:"history"`
	// Requests are the order's requests, newest first, at most 50.
	Requests []CancellationView `json:"requests"`
}

// OrderSummary is the order part of the view.
type OrderSummary struct {
	Status    platform.OrderStatus `json:"status"`
	PlacedAt  time.Time            `json:"placed_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	ShippedAt *time.Time           `json:"shipped_at"`
	Total     platform.Money       `json:"total"`
	BuyerID   string               `json:"buyer_id"`
	// Items are the snapshot's items as the platform sent them (none
	// when it sent none), with what cancelsync cancelled of each line.
	Items []ItemView `json:"items"`
}

// ItemView is one line of the order as the read API shows it.
type ItemView struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Price    string `json:"price"`
	// LineID is the platform's id of the line, null when it sent none
	// (the line cannot be cancelled on its own).
	LineID    *string `json:"line_id"`
	Fulfilled int     `json:"fulfilled_quantity"`
	Cancelled int     `json:"cancelled_quantity"`
}

// itemViews are the order's items as the view shows them: never null.
func (o *Snapshot) itemViews() []ItemView {
	out := make([]ItemView, len(o.Items))
	for i, it := range o.Items {
		out[i] = ItemView{SKU: it.SKU, Quantity: it.Quantity, Price: it.Price, Fulfilled: it.Fulfilled, Cancelled: it.Cancelled}
		if it.LineID != "" {
			id := it.LineID
			out[i].LineID = &id
		}
	}
	return out
}

// CancellationView is the cancellation part of the view.
type CancellationView struct {
	RequestID          string                 `json:"request_id"`
	State              platform.State         `json:"state"`
	Version            int64                  `json:"version"`
	Initiator          platform.Party         `json:"initiator"`
	Reason             string                 `json:"reason"`
	DenialReason       *platform.DenialReason `json:"denial_reason"`
	RespondBy          *time.Time             `json:"respond_by"`
	Refund             *platform.Refund       `json:"refund"`
	AffectsSellerStats bool                   `json:"affects_seller_stats"`
	// Lines are the lines of a request for some lines, with each one's
	// refund once cancelled; null for the whole order.
	Lines []platform.Line `json:"lines"`
}

// SyncView says how far the latest state got to the platform.
type SyncView struct {
	State     string  `json:"state"` // pending | synced | failed | skipped
	Attempts  int     `json:"attempts"`
	LastError *string `json:"last_error"`
	Version   int64   `json:"version"`
}

// HistoryEntry is one event applied to (or ignored by) the order.
type HistoryEntry struct {
	At    time.Time          `json:"at"`
	Event platform.EventType `json:"event"`
	State *platform.State    `json:"state"`
	Note  *string            `json:"note"`
}

// View is the read API's document of the order (docs/API.md §6).
func (d *Doc) View(ad *platform.Adapter, orderID string) *OrderView {
	v := &OrderView{Adapter: ad.ID, Platform: ad.Platform, OrderID: orderID, History: []HistoryEntry{}, Requests: []CancellationView{}}
	if o := d.Order; o != nil {
		v.Order = &OrderSummary{Status: o.Status, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt, Total: platform.Money(o.Total),
			BuyerID: o.BuyerID, Items: o.itemViews()}
	}
	if r := d.Shown(); r != nil {
		cv := r.View()
		v.Cancellation = &cv
	}
	for i := len(d.Requests) - 1; i >= 0 && len(v.Requests) < MaxViewRequests; i-- {
		v.Requests = append(v.Requests, d.Requests[i].View())
	}
	if r := d.Latest(); r != nil {
		sv := &SyncView{State: r.SyncState(), Attempts: r.Attempts, Version: r.Version}
		if r.LastError != "" {
			e := r.LastError
			sv.LastError = &e
		}
		v.Sync = sv
	}
	if d.Conflict != "" {
		c := d.Conflict
		v.Conflict = &c
	}
	for _, h := range d.History {
		e := HistoryEntry{At: h.At, Event: h.Event}
		if h.State != "" {
			st := h.State
			e.State = &st
		}
		if h.Note != "" {
			n := h.Note
			e.Note = &n
		}
		v.History = append(v.History, e)
	}
	return v
}

// MaxViewRequests bounds the view's requests list.
const MaxViewRequests = 50

// View is the request as the read API shows it.
func (r *Request) View() CancellationView {
	cv := CancellationView{
		RequestID: r.ID, State: r.State, Version: r.Version, Initiator: r.Initiator, Reason: r.Reason,
		RespondBy: r.RespondBy, Refund: (*platform.Refund)(r.Refund), AffectsSellerStats: r.SellerHit,
		Lines: domainLines(r.Lines),
	}
	if r.Denial != "" {
		dr := r.Denial
		cv.DenialReason = &dr
	}
	return cv
}
