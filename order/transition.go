package order

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Timer kinds.
const (
	TimerDeadline  = "deadline"   // a pending request's respond_by
	TimerOrderWait = "order_wait" // a request waiting for its order's first snapshot
)

// Timer is a scheduled re-check of one request.
type Timer struct {
	Kind      string    `json:"k"`
	RequestID string    `json:"q"`
	At        time.Time `json:"at"`
	// Rearm tells a re-armed timer's task id from the one that fired early.
	Rearm int64 `json:"ra,omitempty"`
}

// Effects are what a Transition asks of the queue once it is stored.
type Effects struct {
	Sync   int64 // latest version to push, 0 for none
	Timers []Timer
	// Decided are the states this transition reached, one per new version,
	// for the decisions metric.
	Decided []platform.State
}

// Transition applies one event to one order's document. It is pure: the
// clock and the adapter's rules come in, the document and the Effects go
// out. Set its inputs, call one Apply method once, then read Changed,
// Replayed and Effects.
type Transition struct {
	Doc       *Doc
	OrderID   string
	Adapter   *platform.Adapter
	OrderWait time.Duration // how long a request waits for its order's first snapshot
	Now       time.Time
	// Live is the order as the platform holds it now, read by the caller
	// just before this transition (docs/API.md §13, the live check): a
	// request, a response or a deadline is decided on it when it is newer
	// than the stored snapshot. LiveFailed says the read was tried and
	// failed: the decision uses the stored snapshot and the history says
	// so. Neither set: no live check (a platform without one).
	Live       *platform.Order
	LiveFailed bool

	changed bool
	live    LiveResult
	replay  bool // the delivery was applied before: re-issue what the document still needs
	eff     Effects
}

// Changed reports whether the document changed and is to be stored.
func (t *Transition) Changed() bool { return t.changed }

// Replayed reports whether the delivery was applied before (it is in the
// order's history): its caller re-issues PendingEffects instead.
func (t *Transition) Replayed() bool { return t.replay }

// Effects are what the transition asks of the queue once it is stored.
func (t *Transition) Effects() Effects { return t.eff }

// LiveResult is what the live check found, for its metric.
type LiveResult string

const (
	LiveNone   LiveResult = ""       // not asked for, or not needed
	LiveNewer  LiveResult = "newer"  // newer than the stored snapshot: applied first
	LiveSame   LiveResult = "same"   // not newer: the stored snapshot stands
	LiveFailed LiveResult = "failed" // not read in time: decided on the stored snapshot
)

// Live reports what the live check found.
func (t *Transition) LiveResult() LiveResult { return t.live }

// eventLiveCheck is the live check's entry in the history.
const eventLiveCheck platform.EventType = "order.live_check"

// NoteLiveCheckFailed is the history's note when the platform could not
// be read before a decision.
const NoteLiveCheckFailed = "live check failed"

// applyLive applies the order read live, before what is about to be
// decided, by the same ordering rules as a webhook's snapshot; an order
// no newer than the stored one changes nothing.
func (t *Transition) applyLive() {
	switch {
	case t.LiveFailed:
		t.live = LiveFailed
		t.note(eventLiveCheck, "", "", NoteLiveCheckFailed)
	case t.Live != nil:
		if old := t.Doc.Order; old != nil && !newerSnapshot(t.Live, old) {
			t.live = LiveSame
			return
		}
		t.live = LiveNewer
		t.applySnapshot(eventLiveCheck, "", t.Live)
	}
}

// Newer reports whether o would replace doc's snapshot by the snapshot
// ordering rules: the reconciliation poll skips an order that would not.
func Newer(o *platform.Order, doc *Doc) bool {
	return doc.Order == nil || newerSnapshot(o, doc.Order)
}

// newerSnapshot reports whether o replaces old by the snapshot ordering
// rules (applySnapshot).
func newerSnapshot(o *platform.Order, old *Snapshot) bool {
	return o.UpdatedAt.After(old.UpdatedAt) || o.UpdatedAt.Equal(old.UpdatedAt) && statusRank[o.Status] > statusRank[old.Status]
}

func (t *Transition) note(ev platform.EventType, webhookID string, state platform.State, note string) {
	// Milliseconds are plenty for a history and keep the document small.
	t.Doc.record(HistoryRecord{At: t.Now.Truncate(time.Millisecond), Event: ev, State: state, Note: note, WebhookID: webhookID})
	t.changed = true
}

// decide moves request r to out: a new version, a history entry, a sync and,
// for a pending outcome, its deadline.
func (t *Transition) decide(r *Request, out platform.Outcome, ev platform.EventType, webhookID string) {
	t.decideNote(r, out, ev, webhookID, "")
}

// decideNote is decide with a note in the history entry.
func (t *Transition) decideNote(r *Request, out platform.Outcome, ev platform.EventType, webhookID, note string) {
	t.newVersion(r, out, ev, webhookID, note)
	t.eff.Decided = append(t.eff.Decided, out.State)
	if out.State == platform.PendingResponse && out.RespondBy != nil {
		t.eff.Timers = append(t.eff.Timers, Timer{Kind: TimerDeadline, RequestID: r.ID, At: *out.RespondBy})
	}
}

// newVersion gives r the outcome out as a new version with a fresh sync
// record and a history entry, and asks for its sync. A revision that keeps
// r's state (a refund added) stops here: it is no new decision.
func (t *Transition) newVersion(r *Request, out platform.Outcome, ev platform.EventType, webhookID, note string) {
	if out.State == platform.Cancelled && out.Lines != nil && r.State != platform.Cancelled && t.Doc.Order != nil {
		t.Doc.Order.cancelLines(out.Lines)
	}
	r.setOutcome(out)
	r.ArrivedAt = time.Time{} // only order_wait needs it, and the request no longer waits
	t.Doc.Version++
	r.Version = t.Doc.Version
	r.Sync, r.Attempts, r.LastError, r.NextAt, r.Round = "", 0, "", time.Time{}, 0
	if out.State == platform.Cancelled && out.Lines == nil && t.Doc.CancelledBy == "" {
		t.Doc.CancelledBy = r.ID
	}
	t.note(ev, webhookID, out.State, note)
	t.eff.Sync = r.Version
}

func (t *Transition) otherPending(except *Request) bool {
	for i := range t.Doc.Requests {
		r := &t.Doc.Requests[i]
		if r != except && r.State == platform.PendingResponse {
			return true
		}
	}
	return false
}

// ApplyDelivery applies one webhook delivery, received at receivedAt. A
// delivery already in the history (a re-run of its task) changes nothing.
func (t *Transition) ApplyDelivery(webhookID string, receivedAt time.Time, ev platform.Event) {
	if t.Doc.seen(webhookID) {
		t.replay = true
		return
	}
	// A delivery may carry both (see platform.Event): snapshot first.
	if ev.Order != nil {
		t.applySnapshot(ev.Type, webhookID, ev.Order)
	}
	if c := ev.Cancellation; c != nil {
		if c.Type != platform.CancellationWithdrawn {
			t.applyLive()
		}
		t.applyCancellation(webhookID, receivedAt, c)
	}
}

// statusRank orders statuses by how far along an order is; two snapshots
// with the same updated_at resolve to the further one.
var statusRank = map[platform.OrderStatus]int{
	platform.StatusPlaced: 0, platform.StatusPaid: 1, platform.StatusShipped: 2,
	platform.StatusDelivered: 3, platform.StatusCompleted: 4, platform.StatusCancelled: 5,
}

// applySnapshot stores a snapshot by its updated_at (docs/DECISIONS.md,
// "Snapshot order"): an older one is ignored; a newer one is applied as sent,
// even when its status moves back (a shipment cancelled on the platform),
// with a note; of two with the same updated_at the one further along wins,
// whatever order they arrive in.
func (t *Transition) applySnapshot(ev platform.EventType, webhookID string, o *platform.Order) {
	old := t.Doc.Order
	if old != nil && !newerSnapshot(o, old) {
		t.note(ev, webhookID, "", string(platform.SnapshotNotNewer))
		return
	}
	next := &Snapshot{
		BuyerID: o.BuyerID, SellerID: o.SellerID,
		Status: o.Status, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt,
		Total: money(o.Total), RequirementsSubmitted: o.RequirementsSubmitted, WorkDelivered: o.WorkDelivered,
		Items: storedItems(o.Items),
	}
	if old != nil {
		next.Items = carryCancelled(old.Items, next.Items)
	}
	note := ""
	if old != nil && statusRank[o.Status] < statusRank[old.Status] {
		note = "status moved back from " + string(old.Status) + " to " + string(o.Status)
	}
	t.Doc.Order = next
	if shipped(next) && t.hasCancelled() && t.Doc.Conflict == "" {
		t.Doc.Conflict = "shipped_after_cancel"
		note = joinNote(note, "shipped after the order's cancellation was decided; outcome unchanged")
	}
	t.note(ev, webhookID, "", note)

	// A cancellation decided without a refund because the order was unpaid,
	// whose order now turns out paid, is owed the refund: a buyer is never
	// charged for a cancelled order (docs/GUARANTEES.md). Only the request
	// that cancelled the order is refunded, so the order is refunded once.
	if r := t.Doc.Request(t.Doc.CancelledBy); r != nil && t.Doc.CancelledBy != "" {
		if out, ok := platform.DecidePaidAfterCancel(t.Adapter.Rules, next.Domain(t.OrderID), r.Domain()); ok {
			t.newVersion(r, out, ev, "", "order paid after its cancellation: refund added")
		}
	}

	// The platform cancelled the order: a request still waiting for the
	// counterparty is resolved cancelled.
	if next.Status == platform.StatusCancelled && (old == nil || old.Status != platform.StatusCancelled) {
		for i := range t.Doc.Requests {
			r := &t.Doc.Requests[i]
			if out, ok := platform.DecidePlatformCancel(t.Adapter.Rules, next.Domain(t.OrderID), r.Domain()); ok {
				t.decideNote(r, out, ev, "", "cancelled on the platform")
			}
		}
	}

	// Requests that waited for this order are decided now, oldest first.
	for i := range t.Doc.Requests {
		r := &t.Doc.Requests[i]
		if r.State != platform.AwaitingOrder {
			continue
		}
		c := platform.Cancellation{OrderID: t.OrderID, RequestID: r.ID, Initiator: r.Initiator, Reason: r.Reason, OccurredAt: r.OccurredAt,
			Lines: requestedLines(r.Lines)}
		out := t.decideNew(r, c)
		t.decide(r, out, platform.CancellationRequested, "")
	}
}

func shipped(o *Snapshot) bool {
	return o.ShippedAt != nil || statusRank[o.Status] >= statusRank[platform.StatusShipped] && o.Status != platform.StatusCancelled
}

// orderForRequest is the order a new request is decided on. An order whose
// cancellation we already decided counts as cancelled even before the
// platform's own "cancelled" snapshot arrives, so that a second request is
// denied already_cancelled instead of refunding the buyer twice.
func (t *Transition) orderForRequest() platform.Order {
	o := t.Doc.Order.Domain(t.OrderID)
	if t.hasCancelled() {
		o.Status = platform.StatusCancelled
	}
	return o
}

func (t *Transition) hasCancelled() bool {
	if t.Doc.CancelledBy != "" {
		return true
	}
	for i := range t.Doc.Requests {
		if t.Doc.Requests[i].State == platform.Cancelled && !t.Doc.Requests[i].Partial() {
			return true
		}
	}
	return false
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (t *Transition) applyCancellation(webhookID string, receivedAt time.Time, c *platform.Cancellation) {
	r := t.Doc.Request(c.RequestID)
	switch c.Type {
	case platform.CancellationRequested:
		if r != nil {
			t.note(c.Type, webhookID, "", string(platform.DuplicateRequest))
			return
		}
		t.Doc.Requests = append(t.Doc.Requests, Request{
			ID: c.RequestID, Initiator: c.Initiator, Reason: c.Reason, OccurredAt: c.OccurredAt, ArrivedAt: receivedAt.Truncate(time.Millisecond),
			Lines: askedLines(c.Lines),
		})
		t.Doc.Compact()
		r = &t.Doc.Requests[len(t.Doc.Requests)-1]
		if t.Doc.Order == nil {
			r.State = platform.AwaitingOrder
			t.note(c.Type, webhookID, platform.AwaitingOrder, "")
			t.eff.Timers = append(t.eff.Timers, Timer{Kind: TimerOrderWait, RequestID: r.ID, At: receivedAt.Add(t.OrderWait)})
			return
		}
		out := t.decideNew(r, *c)
		t.decide(r, out, c.Type, webhookID)
	case platform.CancellationResponded:
		if r == nil {
			t.note(c.Type, webhookID, "", string(platform.UnknownRequest))
			return
		}
		var o platform.Order
		if t.Doc.Order != nil {
			o = t.Doc.Order.Domain(t.OrderID)
		}
		out, ignored := platform.DecideResponse(t.Adapter.Rules, o, r.Domain(), *c)
		if ignored != platform.NotIgnored {
			t.note(c.Type, webhookID, "", string(ignored))
			return
		}
		t.decide(r, out, c.Type, webhookID)
	case platform.CancellationWithdrawn:
		if r == nil {
			t.note(c.Type, webhookID, "", string(platform.UnknownRequest))
			return
		}
		out, ignored := platform.DecideWithdrawal(r.Domain())
		if ignored != platform.NotIgnored {
			t.note(c.Type, webhookID, "", string(ignored))
			return
		}
		t.decide(r, out, c.Type, webhookID)
	}
}

// NeedsWorker reports whether a transition asks for more than its store:
// a decision, a timer or a sync; only a worker does those. A replay (the
// delivery is in the order's history already) is not one: ingest stores
// snapshots only when they owe nothing, and a worker that stored one owes
// its effects from its own task, which Asynq runs again until it is done.
func (t *Transition) NeedsWorker() bool {
	return t.eff.Sync > 0 || len(t.eff.Timers) > 0 || len(t.eff.Decided) > 0
}

// Timer events as they appear in the history.
const (
	eventDeadline  platform.EventType = "deadline.reached"
	eventOrderWait platform.EventType = "order_wait.expired"
)

// ApplyTimer re-checks a request when its timer fires. A timer for a request
// that has moved on changes nothing; one that fired early (clock skew
// between machines) is set again.
func (t *Transition) ApplyTimer(tm Timer) {
	r := t.Doc.Request(tm.RequestID)
	if r == nil {
		return
	}
	switch tm.Kind {
	case TimerDeadline:
		if r.State != platform.PendingResponse || t.Doc.Order == nil {
			return
		}
		if r.RespondBy != nil && !t.Now.Before(*r.RespondBy) {
			t.applyLive()
			if r.State != platform.PendingResponse {
				return // the order read live resolved it (cancelled on the platform)
			}
		}
		out, ok := platform.DecideTimeout(t.Adapter.Rules, t.Doc.Order.Domain(t.OrderID), r.Domain(), t.Now)
		if !ok {
			t.eff.Timers = append(t.eff.Timers, Timer{Kind: TimerDeadline, RequestID: r.ID, At: *r.RespondBy, Rearm: t.Now.UnixNano()})
			return
		}
		t.decide(r, out, eventDeadline, "")
	case TimerOrderWait:
		if r.State != platform.AwaitingOrder {
			return
		}
		if due := r.ArrivedAt.Add(t.OrderWait); t.Now.Before(due) {
			t.eff.Timers = append(t.eff.Timers, Timer{Kind: TimerOrderWait, RequestID: r.ID, At: due, Rearm: t.Now.UnixNano()})
			return
		}
		t.decide(r, platform.Deny(platform.OrderUnknown), eventOrderWait, "")
	}
}

// PendingEffects are the effects a stored document still needs: its unsynced
// version and the timers of its open requests. A handler that finds its work
// already applied (a crash between storing and enqueueing) re-issues them;
// task ids make that a no-op when they are already queued.
func PendingEffects(doc *Doc, orderWait time.Duration) Effects {
	var eff Effects
	for _, r := range doc.Requests {
		if r.Unsent(doc.Acked) {
			eff.Sync = max(eff.Sync, r.Version)
		}
		switch r.State {
		case platform.PendingResponse:
			if r.RespondBy != nil {
				eff.Timers = append(eff.Timers, Timer{Kind: TimerDeadline, RequestID: r.ID, At: *r.RespondBy})
			}
		case platform.AwaitingOrder:
			eff.Timers = append(eff.Timers, Timer{Kind: TimerOrderWait, RequestID: r.ID, At: r.ArrivedAt.Add(orderWait)})
		}
	}
	return eff
}
