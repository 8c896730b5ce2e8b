package jobs

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// orderDoc is everything stored about one order of one adapter, kept as one
// Redis value so that every change to it is one atomic compare-and-set.
// Field names are short because there may be millions of these.
type orderDoc struct {
	Order    *storedOrder    `json:"o,omitempty"`
	Requests []storedRequest `json:"r,omitempty"` // oldest first
	Version  int64           `json:"v,omitempty"` // version of the latest cancellation state
	Sync     syncState       `json:"s"`
	Conflict string          `json:"c,omitempty"`
	History  []historyRec    `json:"h,omitempty"`
}

// storedOrder is the part of a snapshot that decisions and the view need;
// items are not kept.
type storedOrder struct {
	Status                adapters.OrderStatus `json:"st"`
	BuyerID               string               `json:"b,omitempty"`
	SellerID              string               `json:"s,omitempty"`
	PlacedAt              time.Time            `json:"pa"`
	UpdatedAt             time.Time            `json:"ua"`
	ShippedAt             *time.Time           `json:"sa,omitempty"`
	Total                 money                `json:"t"`
	RequirementsSubmitted bool                 `json:"rs,omitempty"`
	WorkDelivered         bool                 `json:"wd,omitempty"`
}

func (o *storedOrder) domain(id string) adapters.Order {
	return adapters.Order{
		ID: id, Status: o.Status, BuyerID: o.BuyerID, SellerID: o.SellerID, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt,
		Total: adapters.Money(o.Total), RequirementsSubmitted: o.RequirementsSubmitted, WorkDelivered: o.WorkDelivered,
	}
}

// money and refund are adapters.Money and adapters.Refund under one-letter
// names: the same fields, so they convert both ways, in fewer bytes per order.
type money struct {
	Amount   string `json:"a"`
	Currency string `json:"c"`
}

type refund struct {
	Method   adapters.RefundMethod `json:"m"`
	Amount   string                `json:"a"`
	Currency string                `json:"c"`
}

type storedRequest struct {
	ID         string                `json:"id"`
	Initiator  adapters.Party        `json:"i"`
	Reason     string                `json:"re"`
	OccurredAt time.Time             `json:"oa"`
	ArrivedAt  time.Time             `json:"aa,omitzero"` // kept only while awaiting_order
	State      adapters.State        `json:"st"`
	Denial     adapters.DenialReason `json:"dr,omitempty"`
	RespondBy  *time.Time            `json:"rb,omitempty"`
	Refund     *refund               `json:"rf,omitempty"`
	SellerHit  bool                  `json:"ss,omitempty"`
	Version    int64                 `json:"v,omitempty"` // version of its current state; 0 while awaiting_order
}

func (r *storedRequest) domain() adapters.Request {
	return adapters.Request{
		RequestID: r.ID, Initiator: r.Initiator, Reason: r.Reason, OccurredAt: r.OccurredAt,
		Outcome: adapters.Outcome{State: r.State, DenialReason: r.Denial, RespondBy: r.RespondBy, Refund: (*adapters.Refund)(r.Refund), AffectsSellerStats: r.SellerHit},
	}
}

func (r *storedRequest) setOutcome(o adapters.Outcome) {
	r.State, r.Denial, r.RespondBy, r.Refund, r.SellerHit = o.State, o.DenialReason, o.RespondBy, (*refund)(o.Refund), o.AffectsSellerStats
}

// update is what is pushed to the platform for this request's current state.
func (r *storedRequest) update(orderID string) adapters.Update {
	return adapters.Update{
		OrderID: orderID, RequestID: r.ID, State: r.State, Version: r.Version, Reason: r.Reason, Initiator: r.Initiator,
		DenialReason: r.Denial, RespondBy: r.RespondBy, Refund: (*adapters.Refund)(r.Refund), AffectsSellerStats: r.SellerHit,
	}
}

// Sync states shown on the read API.
const (
	syncPending = "pending"
	syncSynced  = "synced"
	syncFailed  = "failed"
	syncSkipped = "skipped" // the platform takes no call for the state
)

// syncState tracks the push of the latest version; Acked is the highest
// version the platform acknowledged, so an older one is never sent after it.
type syncState struct {
	State     string `json:"st,omitempty"`
	Version   int64  `json:"v,omitempty"`
	Attempts  int    `json:"n,omitempty"`
	LastError string `json:"e,omitempty"`
	Acked     int64  `json:"a,omitempty"`
	// NextAt is when the next attempt is due after a retryable failure.
	NextAt time.Time `json:"na,omitzero"`
}

type historyRec struct {
	At        time.Time          `json:"at"`
	Event     adapters.EventType `json:"ev"`
	State     adapters.State     `json:"st,omitempty"`
	Note      string             `json:"n,omitempty"`
	WebhookID string             `json:"w,omitempty"`
}

// maxHistory bounds a busy order's document; the oldest entries go first.
const maxHistory = 50

func (d *orderDoc) request(id string) *storedRequest {
	for i := range d.Requests {
		if d.Requests[i].ID == id {
			return &d.Requests[i]
		}
	}
	return nil
}

// atVersion is the request whose current state has version v, if any (v 0:
// none; an older state of a request has been superseded).
func (d *orderDoc) atVersion(v int64) *storedRequest {
	if v == 0 {
		return nil
	}
	for i := range d.Requests {
		if d.Requests[i].Version == v {
			return &d.Requests[i]
		}
	}
	return nil
}

// current is the open request if there is one, else the most recent.
func (d *orderDoc) current() *storedRequest {
	for i := range d.Requests {
		if d.Requests[i].Open() {
			return &d.Requests[i]
		}
	}
	if n := len(d.Requests); n > 0 {
		return &d.Requests[n-1]
	}
	return nil
}

func (r *storedRequest) Open() bool {
	return r.State == adapters.PendingResponse || r.State == adapters.AwaitingOrder
}

func (d *orderDoc) seen(webhookID string) bool {
	if webhookID == "" {
		return false
	}
	for i := range d.History {
		if d.History[i].WebhookID == webhookID {
			return true
		}
	}
	return false
}

func (d *orderDoc) record(h historyRec) {
	d.History = append(d.History, h)
	if over := len(d.History) - maxHistory; over > 0 {
		d.History = append(d.History[:0], d.History[over:]...)
	}
}
