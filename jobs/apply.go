package jobs

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Timer kinds.
const (
	timerDeadline  = "deadline"   // a pending request's respond_by
	timerOrderWait = "order_wait" // a request waiting for its order's first snapshot
)

// timer is a scheduled re-check of one request.
type timer struct {
	Kind      string    `json:"k"`
	RequestID string    `json:"q"`
	At        time.Time `json:"at"`
	// Rearm tells a re-armed timer's task id from the one that fired early.
	Rearm int64 `json:"ra,omitempty"`
}

// effects are what a transition asks of the queue once it is stored.
type effects struct {
	sync   int64 // latest version to push, 0 for none
	timers []timer
	// decided are the states this transition reached, one per new version,
	// for the decisions metric.
	decided []adapters.State
	// requestID is the ingest request id of the delivery, carried into the
	// sync task so that its log lines correlate with the webhook's.
	requestID string
}

// transition applies one event to one order's document. It is pure: the
// clock and the adapter's rules come in, the document and the effects go out.
type transition struct {
	doc       *orderDoc
	orderID   string
	adapter   *adapters.Adapter
	orderWait time.Duration
	now       time.Time
	changed   bool
	replay    bool // the delivery was applied before: re-issue what the document still needs
	eff       effects
}

func (t *transition) note(ev adapters.EventType, webhookID string, state adapters.State, note string) {
	// Milliseconds are plenty for a history and keep the document small.
	t.doc.record(historyRec{At: t.now.Truncate(time.Millisecond), Event: ev, State: state, Note: note, WebhookID: webhookID})
	t.changed = true
}

// decide moves request r to out: a new version, a history entry, a sync and,
// for a pending outcome, its deadline.
func (t *transition) decide(r *storedRequest, out adapters.Outcome, ev adapters.EventType, webhookID string) {
	t.decideNote(r, out, ev, webhookID, "")
}

// decideNote is decide with a note in the history entry.
func (t *transition) decideNote(r *storedRequest, out adapters.Outcome, ev adapters.EventType, webhookID, note string) {
	t.newVersion(r, out, ev, webhookID, note)
	t.eff.decided = append(t.eff.decided, out.State)
	if out.State == adapters.PendingResponse && out.RespondBy != nil {
		t.eff.timers = append(t.eff.timers, timer{Kind: timerDeadline, RequestID: r.ID, At: *out.RespondBy})
	}
}

// newVersion gives r the outcome out as a new version with a fresh sync
// record and a history entry, and asks for its sync. A revision that keeps
// r's state (a refund added) stops here: it is no new decision.
func (t *transition) newVersion(r *storedRequest, out adapters.Outcome, ev adapters.EventType, webhookID, note string) {
	r.setOutcome(out)
	r.ArrivedAt = time.Time{} // only order_wait needs it, and the request no longer waits
	t.doc.Version++
	r.Version = t.doc.Version
	r.Sync, r.Attempts, r.LastError, r.NextAt, r.Round = "", 0, "", time.Time{}, 0
	if out.State == adapters.Cancelled && t.doc.CancelledBy == "" {
		t.doc.CancelledBy = r.ID
	}
	t.note(ev, webhookID, out.State, note)
	t.eff.sync = r.Version
}

func (t *transition) otherPending(except *storedRequest) bool {
	for i := range t.doc.Requests {
		r := &t.doc.Requests[i]
		if r != except && r.State == adapters.PendingResponse {
			return true
		}
	}
	return false
}

// applyDelivery applies one webhook. A delivery already in the history (a
// re-run of its task) changes nothing.
func (t *transition) applyDelivery(d Delivery) {
	if t.doc.seen(d.WebhookID) {
		t.replay = true
		return
	}
	// A delivery may carry both (see adapters.Event): snapshot first.
	if ev := d.Event; ev.Order != nil {
		t.applySnapshot(ev.Type, d.WebhookID, ev.Order)
	}
	if c := d.Event.Cancellation; c != nil {
		t.applyCancellation(d, c)
	}
}

// statusRank orders statuses by how far along an order is; two snapshots
// with the same updated_at resolve to the further one.
var statusRank = map[adapters.OrderStatus]int{
	adapters.StatusPlaced: 0, adapters.StatusPaid: 1, adapters.StatusShipped: 2,
	adapters.StatusDelivered: 3, adapters.StatusCompleted: 4, adapters.StatusCancelled: 5,
}

// applySnapshot stores a snapshot by its updated_at (docs/DECISIONS.md,
// "Snapshot order"): an older one is ignored; a newer one is applied as sent,
// even when its status moves back (a shipment cancelled on the platform),
// with a note; of two with the same updated_at the one further along wins,
// whatever order they arrive in.
func (t *transition) applySnapshot(ev adapters.EventType, webhookID string, o *adapters.Order) {
	old := t.doc.Order
	if old != nil {
		if o.UpdatedAt.Before(old.UpdatedAt) || o.UpdatedAt.Equal(old.UpdatedAt) && statusRank[o.Status] <= statusRank[old.Status] {
			t.note(ev, webhookID, "", string(adapters.SnapshotNotNewer))
			return
		}
	}
	next := &storedOrder{
		BuyerID: o.BuyerID, SellerID: o.SellerID,
		Status: o.Status, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt,
		Total: money(o.Total), RequirementsSubmitted: o.RequirementsSubmitted, WorkDelivered: o.WorkDelivered,
		Items: storedItems(o.Items),
	}
	note := ""
	if old != nil && statusRank[o.Status] < statusRank[old.Status] {
		note = "status moved back from " + string(old.Status) + " to " + string(o.Status)
	}
	t.doc.Order = next
	if shipped(next) && t.hasCancelled() && t.doc.Conflict == "" {
		t.doc.Conflict = "shipped_after_cancel"
		note = joinNote(note, "shipped after the order's cancellation was decided; outcome unchanged")
	}
	t.note(ev, webhookID, "", note)

	// A cancellation decided without a refund because the order was unpaid,
	// whose order now turns out paid, is owed the refund: a buyer is never
	// charged for a cancelled order (docs/GUARANTEES.md). Only the request
	// that cancelled the order is refunded, so the order is refunded once.
	if r := t.doc.request(t.doc.CancelledBy); r != nil && t.doc.CancelledBy != "" {
		if out, ok := adapters.DecidePaidAfterCancel(t.adapter.Rules, next.domain(t.orderID), r.domain()); ok {
			t.newVersion(r, out, ev, "", "order paid after its cancellation: refund added")
		}
	}

	// The platform cancelled the order: a request still waiting for the
	// counterparty is resolved cancelled.
	if next.Status == adapters.StatusCancelled && (old == nil || old.Status != adapters.StatusCancelled) {
		for i := range t.doc.Requests {
			r := &t.doc.Requests[i]
			if out, ok := adapters.DecidePlatformCancel(t.adapter.Rules, next.domain(t.orderID), r.domain()); ok {
				t.decideNote(r, out, ev, "", "cancelled on the platform")
			}
		}
	}

	// Requests that waited for this order are decided now, oldest first.
	for i := range t.doc.Requests {
		r := &t.doc.Requests[i]
		if r.State != adapters.AwaitingOrder {
			continue
		}
		c := adapters.Cancellation{OrderID: t.orderID, RequestID: r.ID, Initiator: r.Initiator, Reason: r.Reason, OccurredAt: r.OccurredAt}
		out := t.decideNew(r, c)
		t.decide(r, out, adapters.CancellationRequested, "")
	}
}

func shipped(o *storedOrder) bool {
	return o.ShippedAt != nil || statusRank[o.Status] >= statusRank[adapters.StatusShipped] && o.Status != adapters.StatusCancelled
}

// orderForRequest is the order a new request is decided on. An order whose
// cancellation we already decided counts as cancelled even before the
// platform's own "cancelled" snapshot arrives, so that a second request is
// denied already_cancelled instead of refunding the buyer twice.
func (t *transition) orderForRequest() adapters.Order {
	o := t.doc.Order.domain(t.orderID)
	if t.hasCancelled() {
		o.Status = adapters.StatusCancelled
	}
	return o
}

func (t *transition) hasCancelled() bool {
	if t.doc.CancelledBy != "" {
		return true
	}
	for i := range t.doc.Requests {
		if t.doc.Requests[i].State == adapters.Cancelled {
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

func (t *transition) applyCancellation(d Delivery, c *adapters.Cancellation) {
	r := t.doc.request(c.RequestID)
	switch c.Type {
	case adapters.CancellationRequested:
		if r != nil {
			t.note(c.Type, d.WebhookID, "", string(adapters.DuplicateRequest))
			return
		}
		t.doc.Requests = append(t.doc.Requests, storedRequest{
			ID: c.RequestID, Initiator: c.Initiator, Reason: c.Reason, OccurredAt: c.OccurredAt, ArrivedAt: d.ReceivedAt.Truncate(time.Millisecond),
		})
		t.doc.compact()
		r = &t.doc.Requests[len(t.doc.Requests)-1]
		if t.doc.Order == nil {
			r.State = adapters.AwaitingOrder
			t.note(c.Type, d.WebhookID, adapters.AwaitingOrder, "")
			t.eff.timers = append(t.eff.timers, timer{Kind: timerOrderWait, RequestID: r.ID, At: d.ReceivedAt.Add(t.orderWait)})
			return
		}
		out := t.decideNew(r, *c)
		t.decide(r, out, c.Type, d.WebhookID)
	case adapters.CancellationResponded:
		if r == nil {
			t.note(c.Type, d.WebhookID, "", string(adapters.UnknownRequest))
			return
		}
		var o adapters.Order
		if t.doc.Order != nil {
			o = t.doc.Order.domain(t.orderID)
		}
		out, ignored := adapters.DecideResponse(t.adapter.Rules, o, r.domain(), *c)
		if ignored != adapters.NotIgnored {
			t.note(c.Type, d.WebhookID, "", string(ignored))
			return
		}
		t.decide(r, out, c.Type, d.WebhookID)
	case adapters.CancellationWithdrawn:
		if r == nil {
			t.note(c.Type, d.WebhookID, "", string(adapters.UnknownRequest))
			return
		}
		out, ignored := adapters.DecideWithdrawal(r.domain())
		if ignored != adapters.NotIgnored {
			t.note(c.Type, d.WebhookID, "", string(ignored))
			return
		}
		t.decide(r, out, c.Type, d.WebhookID)
	}
}

// Timer events as they appear in the history.
const (
	eventDeadline  adapters.EventType = "deadline.reached"
	eventOrderWait adapters.EventType = "order_wait.expired"
)

// applyTimer re-checks a request when its timer fires. A timer for a request
// that has moved on changes nothing; one that fired early (clock skew
// between machines) is set again.
func (t *transition) applyTimer(tm timer) {
	r := t.doc.request(tm.RequestID)
	if r == nil {
		return
	}
	switch tm.Kind {
	case timerDeadline:
		if r.State != adapters.PendingResponse || t.doc.Order == nil {
			return
		}
		out, ok := adapters.DecideTimeout(t.adapter.Rules, t.doc.Order.domain(t.orderID), r.domain(), t.now)
		if !ok {
			t.eff.timers = append(t.eff.timers, timer{Kind: timerDeadline, RequestID: r.ID, At: *r.RespondBy, Rearm: t.now.UnixNano()})
			return
		}
		t.decide(r, out, eventDeadline, "")
	case timerOrderWait:
		if r.State != adapters.AwaitingOrder {
			return
		}
		if due := r.ArrivedAt.Add(t.orderWait); t.now.Before(due) {
			t.eff.timers = append(t.eff.timers, timer{Kind: timerOrderWait, RequestID: r.ID, At: due, Rearm: t.now.UnixNano()})
			return
		}
		t.decide(r, adapters.Deny(adapters.OrderUnknown), eventOrderWait, "")
	}
}

// pendingEffects are the effects a stored document still needs: its unsynced
// version and the timers of its open requests. A handler that finds its work
// already applied (a crash between storing and enqueueing) re-issues them;
// task ids make that a no-op when they are already queued.
func pendingEffects(doc *orderDoc, orderWait time.Duration) effects {
	var eff effects
	for _, r := range doc.Requests {
		if r.unsent(doc.Acked) {
			eff.sync = max(eff.sync, r.Version)
		}
		switch r.State {
		case adapters.PendingResponse:
			if r.RespondBy != nil {
				eff.timers = append(eff.timers, timer{Kind: timerDeadline, RequestID: r.ID, At: *r.RespondBy})
			}
		case adapters.AwaitingOrder:
			eff.timers = append(eff.timers, timer{Kind: timerOrderWait, RequestID: r.ID, At: r.ArrivedAt.Add(orderWait)})
		}
	}
	return eff
}
