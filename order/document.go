package order

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Doc is everything stored about one order of one adapter, kept as one
// Redis value so that every change to it is one atomic compare-and-set.
// Field names are short because there may be millions of these.
type Doc struct {
	Order    *Snapshot `json:"o,omitempty"`
	Requests []Request `json:"r,omitempty"` // oldest first; see compact
	Version  int64     `json:"v,omitempty"` // version of the latest cancellation state
	// Acked is the highest version the platform acknowledged (or that had
	// nothing to send on it): nothing at or below it is ever sent again.
	Acked int64 `json:"a,omitempty"`
	// CancelledBy is the request that cancelled the order. It outlives that
	// request's compaction, so every later request is denied
	// already_cancelled for ever.
	CancelledBy string          `json:"cb,omitempty"`
	Conflict    string          `json:"c,omitempty"`
	History     []HistoryRecord `json:"h,omitempty"`
	// Legacy is the order-wide sync record of documents written before
	// sync state was kept per version; decodeDoc folds it in.
	Legacy *legacySync `json:"s,omitempty"`
	// Format is the encoding the document was read in (FormatJSON,
	// FormatCompact; 0 for a document not stored yet), and, set by the
	// store before it writes, the one it is written in. The console's
	// indexes of a request follow its document's format.
	Format int `json:"-"`
}

// Document formats. FormatJSON is what every release before the compact
// encoding wrote, and what a fleet that may still run one writes;
// FormatCompact is written once the store's format says every process
// reads it (docs/OPERATIONS.md, "Store format").
const (
	FormatJSON    = 1
	FormatCompact = 2
)

// Snapshot is the part of a snapshot that decisions and the view need,
// the parties (the storefront checks the buyer, the console counts repeat
// cancellers) and the items (the console's order page shows them).
type Snapshot struct {
	BuyerID               string               `json:"b,omitempty"`
	SellerID              string               `json:"s,omitempty"`
	Status                platform.OrderStatus `json:"st"`
	PlacedAt              time.Time            `json:"pa"`
	UpdatedAt             time.Time            `json:"ua"`
	ShippedAt             *time.Time           `json:"sa,omitempty"`
	Total                 money                `json:"t"`
	RequirementsSubmitted bool                 `json:"rs,omitempty"`
	WorkDelivered         bool                 `json:"wd,omitempty"`
	Items                 []item               `json:"it,omitempty"`
}

// item is platform.Item under one-letter names, like money: the line's
// id and fulfilled units as the platform sent them, and what cancelsync's
// line cancellations took off it (carried from snapshot to snapshot).
type item struct {
	SKU       string `json:"k"`
	Quantity  int    `json:"q"`
	Price     string `json:"p"`
	LineID    string `json:"l,omitempty"`
	Fulfilled int    `json:"f,omitempty"`
	Removed   int    `json:"x,omitempty"`
	Cancelled int    `json:"c,omitempty"`
	Refunded  string `json:"r,omitempty"`
}

// items are the order's items as the view shows them: never null.
func (o *Snapshot) items() []platform.Item {
	out := make([]platform.Item, len(o.Items))
	for i, it := range o.Items {
		out[i] = platform.Item(it)
	}
	return out
}

func storedItems(its []platform.Item) []item {
	if len(its) == 0 {
		return nil
	}
	out := make([]item, len(its))
	for i, it := range its {
		out[i] = item(it)
	}
	return out
}

func (o *Snapshot) Domain(id string) platform.Order {
	return platform.Order{
		ID: id, BuyerID: o.BuyerID, SellerID: o.SellerID, Status: o.Status, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt,
		Total: platform.Money(o.Total), RequirementsSubmitted: o.RequirementsSubmitted, WorkDelivered: o.WorkDelivered,
		Items: o.items(),
	}
}

// money and refund are platform.Money and platform.Refund under one-letter
// names: the same fields, so they convert both ways, in fewer bytes per order.
type money struct {
	Amount   string `json:"a"`
	Currency string `json:"c"`
}

type refund struct {
	Method   platform.RefundMethod `json:"m"`
	Amount   string                `json:"a"`
	Currency string                `json:"c"`
}

// line is platform.Line under one-letter names.
type line struct {
	ID       string  `json:"i"`
	Quantity int     `json:"q"`
	Refund   *string `json:"a,omitempty"`
}

func domainLines(ls []line) []platform.Line {
	if ls == nil {
		return nil
	}
	out := make([]platform.Line, len(ls))
	for i, l := range ls {
		out[i] = platform.Line{LineID: l.ID, Quantity: l.Quantity, RefundAmount: l.Refund}
	}
	return out
}

func storedLines(ls []platform.Line) []line {
	if ls == nil {
		return nil
	}
	out := make([]line, len(ls))
	for i, l := range ls {
		out[i] = line{ID: l.LineID, Quantity: l.Quantity, Refund: l.RefundAmount}
	}
	return out
}

// Partial reports whether r is a request for some lines of its order, not
// for the whole order.
func (r *Request) Partial() bool { return r.Lines != nil }

type Request struct {
	ID         string                `json:"id"`
	Initiator  platform.Party        `json:"i"`
	Reason     string                `json:"re"`
	OccurredAt time.Time             `json:"oa"`
	ArrivedAt  time.Time             `json:"aa,omitzero"` // kept only while awaiting_order
	State      platform.State        `json:"st"`
	Denial     platform.DenialReason `json:"dr,omitempty"`
	RespondBy  *time.Time            `json:"rb,omitempty"`
	Refund     *refund               `json:"rf,omitempty"`
	SellerHit  bool                  `json:"ss,omitempty"`
	// Lines are the lines a request for some lines asked for, each with
	// its refund once cancelled; nil for the whole order.
	Lines   []line `json:"l,omitempty"`
	Version int64  `json:"v,omitempty"` // version of its current state; 0 while awaiting_order
	// The sync record of Version (see package syncback): its state (empty while
	// pending), the attempts made, the last failure and when the next
	// attempt is due. Round counts dead-letter replays, so that each
	// replay's tasks get ids of their own.
	Sync      string    `json:"y,omitempty"`
	Attempts  int       `json:"n,omitempty"`
	LastError string    `json:"e,omitempty"`
	NextAt    time.Time `json:"na,omitzero"`
	Round     int       `json:"rd,omitempty"`
}

func (r *Request) Domain() platform.Request {
	return platform.Request{
		RequestID: r.ID, Initiator: r.Initiator, Reason: r.Reason, OccurredAt: r.OccurredAt,
		Outcome: platform.Outcome{State: r.State, DenialReason: r.Denial, RespondBy: r.RespondBy, Refund: (*platform.Refund)(r.Refund), AffectsSellerStats: r.SellerHit,
			Lines: domainLines(r.Lines)},
	}
}

func (r *Request) setOutcome(o platform.Outcome) {
	r.State, r.Denial, r.RespondBy, r.Refund, r.SellerHit = o.State, o.DenialReason, o.RespondBy, (*refund)(o.Refund), o.AffectsSellerStats
	r.Lines = storedLines(o.Lines)
}

// update is what is pushed to the platform for this request's current state.
func (r *Request) Update(orderID string) platform.Update {
	return platform.Update{
		OrderID: orderID, RequestID: r.ID, State: r.State, Version: r.Version, Reason: r.Reason,
		DenialReason: r.Denial, RespondBy: r.RespondBy, Refund: (*platform.Refund)(r.Refund), AffectsSellerStats: r.SellerHit,
		Initiator: r.Initiator, Lines: domainLines(r.Lines),
	}
}

// Sync states of a version, as the read API shows them. Pending is stored
// as the empty string.
const (
	SyncPending = "pending"
	SyncSynced  = "synced"
	SyncFailed  = "failed"
	SyncSkipped = "skipped"
)

// syncState is r's sync state as the read API names it.
func (r *Request) SyncState() string {
	if r.Sync == "" {
		return SyncPending
	}
	return r.Sync
}

// unsent reports whether r's current state still has to go to the platform.
func (r *Request) Unsent(acked int64) bool {
	return r.Version > acked && r.Sync == "" && r.State != platform.AwaitingOrder
}

// legacySync is the order-wide sync record of older documents.
type legacySync struct {
	State     string `json:"st,omitempty"`
	Version   int64  `json:"v,omitempty"`
	Attempts  int    `json:"n,omitempty"`
	LastError string `json:"e,omitempty"`
	Acked     int64  `json:"a,omitempty"`
}

// upgrade moves an older document's order-wide sync record onto its
// requests: every version up to Acked was synced, the latest has the
// record's state, the rest are pending.
func (d *Doc) Upgrade() {
	l := d.Legacy
	if l == nil {
		return
	}
	d.Legacy = nil
	d.Acked = max(d.Acked, l.Acked)
	for i := range d.Requests {
		r := &d.Requests[i]
		switch {
		case r.Version == 0 || r.Sync != "":
		case r.Version <= d.Acked:
			r.Sync = SyncSynced
		case r.Version == l.Version && l.State == SyncFailed:
			r.Sync, r.Attempts, r.LastError = SyncFailed, l.Attempts, l.LastError
		case r.Version == l.Version:
			r.Attempts, r.LastError = l.Attempts, l.LastError
		}
		if r.Version == l.Version && r.Sync == SyncSynced {
			r.Attempts = l.Attempts
		}
	}
	for i := range d.Requests {
		if d.Requests[i].State == platform.Cancelled && d.CancelledBy == "" {
			d.CancelledBy = d.Requests[i].ID
		}
	}
}

type HistoryRecord struct {
	At        time.Time          `json:"at"`
	Event     platform.EventType `json:"ev"`
	State     platform.State     `json:"st,omitempty"`
	Note      string             `json:"n,omitempty"`
	WebhookID string             `json:"w,omitempty"`
}

// clone is a deep copy of d: a change works on a copy of a document it
// was handed, so that a store that fails leaves the caller's document as
// it is stored (orderstore's Store.Change).
func (d *Doc) Clone() *Doc {
	c := *d
	if d.Order != nil {
		o := *d.Order
		o.ShippedAt = cloneTime(o.ShippedAt)
		o.Items = append([]item(nil), o.Items...)
		c.Order = &o
	}
	if d.Requests != nil {
		c.Requests = make([]Request, len(d.Requests))
		for i, r := range d.Requests {
			r.RespondBy = cloneTime(r.RespondBy)
			if r.Refund != nil {
				rf := *r.Refund
				r.Refund = &rf
			}
			r.Lines = append([]line(nil), r.Lines...)
			c.Requests[i] = r
		}
	}
	if d.History != nil {
		c.History = append(make([]HistoryRecord, 0, len(d.History)), d.History...)
	}
	if d.Legacy != nil {
		l := *d.Legacy
		c.Legacy = &l
	}
	return &c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// MaxHistory bounds a busy order's document; the oldest entries go first.
const MaxHistory = 50

func (d *Doc) Request(id string) *Request {
	for i := range d.Requests {
		if d.Requests[i].ID == id {
			return &d.Requests[i]
		}
	}
	return nil
}

// atVersion is the request whose current state has version v, if any (v 0:
// none; an older state of a request has been superseded).
func (d *Doc) AtVersion(v int64) *Request {
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

// unsent lists the requests whose current state is still to be sent,
// oldest version first.
func (d *Doc) Unsent() []*Request {
	var out []*Request
	for i := range d.Requests {
		if d.Requests[i].Unsent(d.Acked) {
			out = append(out, &d.Requests[i])
		}
	}
	for i := 1; i < len(out); i++ { // few entries: insertion sort
		for j := i; j > 0 && out[j].Version < out[j-1].Version; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// nextUnsent is the oldest unsent version's request, nil when none.
func (d *Doc) NextUnsent() *Request {
	var next *Request
	for i := range d.Requests {
		if r := &d.Requests[i]; r.Unsent(d.Acked) && (next == nil || r.Version < next.Version) {
			next = r
		}
	}
	return next
}

// latest is the request whose state changed last (the highest version).
func (d *Doc) Latest() *Request {
	return d.AtVersion(d.Version)
}

// shown is the request the read API shows as the order's cancellation:
// the open one; else the one that cancelled the order; else the one whose
// state changed last.
func (d *Doc) Shown() *Request {
	for i := range d.Requests {
		if d.Requests[i].Open() {
			return &d.Requests[i]
		}
	}
	if d.CancelledBy != "" {
		if r := d.Request(d.CancelledBy); r != nil {
			return r
		}
	}
	if r := d.Latest(); r != nil {
		return r
	}
	if n := len(d.Requests); n > 0 {
		return &d.Requests[n-1]
	}
	return nil
}

// MaxRequests is how many requests an order keeps before compact drops
// closed, acknowledged ones. The view lists the newest MaxViewRequests
// (docs/API.md: "at most 50"), so the document keeps at least those.
const MaxRequests = MaxViewRequests

// compact bounds the document of an order with many requests: past
// MaxRequests it drops, oldest first, requests that are closed and whose
// state the platform acknowledged (synced or skipped), except the one that
// cancelled the order, the latest, and the newest MaxViewRequests (the
// view's list). What decisions need of them stays: CancelledBy, Version
// and Acked. An open request, or one whose state is not yet acknowledged or
// is in the dead letter, is never dropped.
func (d *Doc) Compact() {
	if len(d.Requests) <= MaxRequests {
		return
	}
	keep := d.Requests[:0]
	over := len(d.Requests) - MaxRequests
	newest := len(d.Requests) - MaxViewRequests
	for i, r := range d.Requests {
		droppable := i < newest && !r.Open() && (r.Sync == SyncSynced || r.Sync == SyncSkipped) &&
			r.ID != d.CancelledBy && r.Version != d.Version
		if over > 0 && droppable {
			over--
			continue
		}
		keep = append(keep, r)
	}
	clear(d.Requests[len(keep):])
	d.Requests = keep
}

// Open reports whether r still waits for an answer or for its order.
func (r *Request) Open() bool {
	return r.State == platform.PendingResponse || r.State == platform.AwaitingOrder
}

func (d *Doc) seen(webhookID string) bool {
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

func (d *Doc) record(h HistoryRecord) {
	d.History = append(d.History, h)
	if over := len(d.History) - MaxHistory; over > 0 {
		d.History = append(d.History[:0], d.History[over:]...)
	}
}
