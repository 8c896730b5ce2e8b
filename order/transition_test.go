package order

import (
	"slices"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/aliexpress"
	"github.com/cancelsync/cancelsync/platform/selfservice"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// TestTransition applies one event (a webhook delivery or a timer) to a
// document built by the events before it, and checks the document and the
// effects the transition asks for. Every kind of event is here: new
// requests, responses, withdrawals, timers, snapshots and replays. The
// platform is AliExpress (a buyer's request waits 48 h for the seller,
// whose silence approves it) unless a row says otherwise.
func TestTransition(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	placedAt := t0.Add(-time.Hour)
	respondBy := t0.Add(48 * time.Hour) // a buyer's request at t0, on AliExpress
	const orderWait = time.Minute

	// The events, all of order "o" and at fixed times.
	snap := func(status platform.OrderStatus, updated time.Time) platform.Event {
		o := &platform.Order{ID: "o", Status: status, PlacedAt: placedAt, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
			Total: platform.Money{Amount: "42.50", Currency: "USD"}}
		if status == platform.StatusShipped {
			o.ShippedAt = &updated
		}
		return platform.Event{Type: platform.OrderUpdated, Order: o}
	}
	cancellation := func(typ platform.EventType, id string, c platform.Cancellation) platform.Event {
		c.Type, c.OrderID, c.RequestID = typ, "o", id
		if c.OccurredAt.IsZero() {
			c.OccurredAt = t0
		}
		return platform.Event{Type: typ, Cancellation: &c}
	}
	req := func(id string, who platform.Party) platform.Event {
		return cancellation(platform.CancellationRequested, id, platform.Cancellation{Initiator: who, Reason: "changed_mind"})
	}
	answer := func(id string, who platform.Party, d platform.Decision, at time.Time) platform.Event {
		return cancellation(platform.CancellationResponded, id, platform.Cancellation{Responder: who, Decision: d, OccurredAt: at})
	}
	withdrawal := func(id string) platform.Event {
		return cancellation(platform.CancellationWithdrawn, id, platform.Cancellation{Initiator: platform.Buyer})
	}

	// A step is one event; the given steps build the document, each at t0
	// under a webhook id of its own ("given-<n>").
	type step struct {
		webhookID string // a delivery's; "" for a timer
		ev        platform.Event
		timer     *Timer
	}
	deliver := func(webhookID string, ev platform.Event) step { return step{webhookID: webhookID, ev: ev} }
	fire := func(kind, requestID string, at time.Time) step {
		return step{timer: &Timer{Kind: kind, RequestID: requestID, At: at}}
	}
	paid := snap(platform.StatusPaid, placedAt)

	type want struct {
		changed, replay bool
		request         string // the request checked; "" checks none
		state           platform.State
		denial          platform.DenialReason
		version         int64 // the document's
		sync            int64
		timers          []string // kinds
		rearmed         bool     // the timers are re-armed ones
		decided         []platform.State
		note            string // the last history entry's; "-" for none added
		status          platform.OrderStatus
		conflict        string
		refunded        bool
	}
	ali := &platform.Adapter{ID: "ali", Platform: "aliexpress", Rules: aliexpress.Policy{}, Windows: aliexpress.Defaults()}
	self := &platform.Adapter{ID: "self", Platform: "selfservice", Rules: selfservice.Policy{}, Windows: selfservice.Defaults()}
	woo := &platform.Adapter{ID: "woo", Platform: "woocommerce", Rules: woocommerce.Policy{}, Windows: woocommerce.Defaults()}
	pending := []step{deliver("", paid), deliver("", req("cr-1", platform.Buyer))}

	tests := []struct {
		name    string
		adapter *platform.Adapter // default ali
		given   []step
		when    step
		now     time.Time // default t0
		want    want
	}{
		// New requests.
		{name: "request on a paid order: pending until respond_by", given: []step{deliver("", paid)},
			when: deliver("w", req("cr-1", platform.Buyer)),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, sync: 1,
				timers: []string{TimerDeadline}, decided: []platform.State{platform.PendingResponse}}},
		{name: "self-service request on a paid order: cancelled at once", adapter: self, given: []step{deliver("", paid)},
			when: deliver("w", req("cr-1", platform.Buyer)),
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 1, sync: 1,
				decided: []platform.State{platform.Cancelled}, refunded: true}},
		{name: "request before the order's snapshot: awaits it, order_wait timer",
			when: deliver("w", req("cr-1", platform.Buyer)),
			want: want{changed: true, request: "cr-1", state: platform.AwaitingOrder, version: 0,
				timers: []string{TimerOrderWait}}},
		{name: "second request while one is pending: denied request_open", given: pending,
			when: deliver("w", req("cr-2", platform.Seller)),
			want: want{changed: true, request: "cr-2", state: platform.Denied, denial: platform.RequestOpen, version: 2, sync: 2,
				decided: []platform.State{platform.Denied}}},
		{name: "request on a shipped order: denied already_shipped", given: []step{deliver("", snap(platform.StatusShipped, placedAt))},
			when: deliver("w", req("cr-1", platform.Buyer)),
			want: want{changed: true, request: "cr-1", state: platform.Denied, denial: platform.AlreadyShipped, version: 1, sync: 1,
				decided: []platform.State{platform.Denied}}},
		{name: "request after our cancellation, before the platform's snapshot: denied already_cancelled", adapter: self,
			given: []step{deliver("", paid), deliver("", req("cr-1", platform.Buyer))},
			when:  deliver("w", req("cr-2", platform.Buyer)),
			want: want{changed: true, request: "cr-2", state: platform.Denied, denial: platform.AlreadyCancelled, version: 2, sync: 2,
				decided: []platform.State{platform.Denied}}},
		{name: "a request_id already known: noted, nothing decided", given: pending,
			when: deliver("w", req("cr-1", platform.Buyer)),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: string(platform.DuplicateRequest)}},

		// Responses.
		{name: "seller accepts: cancelled", given: pending,
			when: deliver("w", answer("cr-1", platform.Seller, platform.Accept, t0.Add(time.Hour))),
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 2, sync: 2,
				decided: []platform.State{platform.Cancelled}, refunded: true}},
		{name: "seller declines: escalated", given: pending,
			when: deliver("w", answer("cr-1", platform.Seller, platform.Decline, t0.Add(time.Hour))),
			want: want{changed: true, request: "cr-1", state: platform.Escalated, version: 2, sync: 2,
				decided: []platform.State{platform.Escalated}}},
		{name: "answer from the requester's own side: ignored", given: pending,
			when: deliver("w", answer("cr-1", platform.Buyer, platform.Accept, t0.Add(time.Hour))),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: string(platform.OwnSideResponse)}},
		{name: "answer to an unknown request: noted", given: pending,
			when: deliver("w", answer("cr-9", platform.Seller, platform.Accept, t0.Add(time.Hour))),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: string(platform.UnknownRequest)}},
		{name: "answer after respond_by: ignored", given: pending,
			when: deliver("w", answer("cr-1", platform.Seller, platform.Accept, respondBy.Add(time.Second))),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: string(platform.ResponseTooLate)}},
		{name: "answer to a request no longer pending: ignored",
			given: append(pending[:2:2], deliver("", answer("cr-1", platform.Seller, platform.Decline, t0.Add(time.Hour)))),
			when:  deliver("w", answer("cr-1", platform.Seller, platform.Accept, t0.Add(2*time.Hour))),
			want:  want{changed: true, request: "cr-1", state: platform.Escalated, version: 2, note: string(platform.NotPending)}},

		// Withdrawals.
		{name: "requester withdraws a pending request: withdrawn", given: pending,
			when: deliver("w", withdrawal("cr-1")),
			want: want{changed: true, request: "cr-1", state: platform.Withdrawn, version: 2, sync: 2,
				decided: []platform.State{platform.Withdrawn}}},
		{name: "withdrawal of a request awaiting its order: withdrawn",
			given: []step{deliver("", req("cr-1", platform.Buyer))},
			when:  deliver("w", withdrawal("cr-1")),
			want: want{changed: true, request: "cr-1", state: platform.Withdrawn, version: 1, sync: 1,
				decided: []platform.State{platform.Withdrawn}}},
		{name: "withdrawal of a closed request: ignored",
			given: append(pending[:2:2], deliver("", answer("cr-1", platform.Seller, platform.Accept, t0.Add(time.Hour)))),
			when:  deliver("w", withdrawal("cr-1")),
			want:  want{changed: true, request: "cr-1", state: platform.Cancelled, version: 2, note: string(platform.WithdrawnByOther), refunded: true}},
		{name: "withdrawal of an unknown request: noted", given: pending,
			when: deliver("w", withdrawal("cr-9")),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: string(platform.UnknownRequest)}},

		// Timers.
		{name: "deadline passed, still pending: the platform's timeout rule", given: pending,
			when: fire(TimerDeadline, "cr-1", respondBy), now: respondBy,
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 2, sync: 2,
				decided: []platform.State{platform.Cancelled}, refunded: true}},
		{name: "deadline fired early: set again, nothing decided", given: pending,
			when: fire(TimerDeadline, "cr-1", respondBy), now: respondBy.Add(-time.Second),
			want: want{request: "cr-1", state: platform.PendingResponse, version: 1, timers: []string{TimerDeadline}, rearmed: true, note: "-"}},
		{name: "deadline of a request answered meanwhile: nothing",
			given: append(pending[:2:2], deliver("", answer("cr-1", platform.Seller, platform.Decline, t0.Add(time.Hour)))),
			when:  fire(TimerDeadline, "cr-1", respondBy), now: respondBy,
			want: want{request: "cr-1", state: platform.Escalated, version: 2, note: "-"}},
		{name: "deadline of an unknown request: nothing", given: pending,
			when: fire(TimerDeadline, "cr-9", respondBy), now: respondBy,
			want: want{request: "cr-1", state: platform.PendingResponse, version: 1, note: "-"}},
		{name: "order_wait expired without a snapshot: denied order_unknown",
			given: []step{deliver("", req("cr-1", platform.Buyer))},
			when:  fire(TimerOrderWait, "cr-1", t0.Add(orderWait)), now: t0.Add(orderWait),
			want: want{changed: true, request: "cr-1", state: platform.Denied, denial: platform.OrderUnknown, version: 1, sync: 1,
				decided: []platform.State{platform.Denied}}},
		{name: "order_wait fired early: set again",
			given: []step{deliver("", req("cr-1", platform.Buyer))},
			when:  fire(TimerOrderWait, "cr-1", t0.Add(orderWait)), now: t0.Add(orderWait - time.Second),
			want: want{request: "cr-1", state: platform.AwaitingOrder, timers: []string{TimerOrderWait}, rearmed: true, note: "-"}},
		{name: "order_wait after the snapshot came: nothing",
			given: []step{deliver("", req("cr-1", platform.Buyer)), deliver("", paid)},
			when:  fire(TimerOrderWait, "cr-1", t0.Add(orderWait)), now: t0.Add(orderWait),
			want: want{request: "cr-1", state: platform.PendingResponse, version: 1, note: "-"}},

		// Snapshots.
		{name: "first snapshot: stored",
			when: deliver("w", paid),
			want: want{changed: true, status: platform.StatusPaid}},
		{name: "newer snapshot: applied", given: []step{deliver("", paid)},
			when: deliver("w", snap(platform.StatusShipped, t0)),
			want: want{changed: true, status: platform.StatusShipped}},
		{name: "older snapshot: ignored", given: []step{deliver("", snap(platform.StatusShipped, t0))},
			when: deliver("w", snap(platform.StatusPaid, placedAt)),
			want: want{changed: true, status: platform.StatusShipped, note: string(platform.SnapshotNotNewer)}},
		{name: "same updated_at, further along: applied", given: []step{deliver("", paid)},
			when: deliver("w", snap(platform.StatusShipped, placedAt)),
			want: want{changed: true, status: platform.StatusShipped}},
		{name: "same updated_at, not further along: ignored", given: []step{deliver("", snap(platform.StatusShipped, placedAt))},
			when: deliver("w", paid),
			want: want{changed: true, status: platform.StatusShipped, note: string(platform.SnapshotNotNewer)}},
		{name: "same snapshot again: ignored", given: []step{deliver("", paid)},
			when: deliver("w", paid),
			want: want{changed: true, status: platform.StatusPaid, note: string(platform.SnapshotNotNewer)}},
		{name: "newer snapshot moving back: applied, with a note", given: []step{deliver("", snap(platform.StatusShipped, placedAt))},
			when: deliver("w", snap(platform.StatusPaid, t0)),
			want: want{changed: true, status: platform.StatusPaid, note: "status moved back from shipped to paid"}},
		{name: "shipped after our cancellation: a conflict, the outcome stays", adapter: self,
			given: []step{deliver("", paid), deliver("", req("cr-1", platform.Buyer))},
			when:  deliver("w", snap(platform.StatusShipped, t0)),
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 1, status: platform.StatusShipped,
				conflict: "shipped_after_cancel", note: "shipped after the order's cancellation was decided; outcome unchanged", refunded: true}},
		{name: "cancelled on the platform while pending: the request is cancelled", given: pending,
			when: deliver("w", snap(platform.StatusCancelled, t0)),
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 2, sync: 2, status: platform.StatusCancelled,
				decided: []platform.State{platform.Cancelled}, note: "cancelled on the platform", refunded: true}},
		{name: "first snapshot decides the request that waited for it",
			given: []step{deliver("", req("cr-1", platform.Buyer))},
			when:  deliver("w", paid),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, sync: 1, status: platform.StatusPaid,
				timers: []string{TimerDeadline}, decided: []platform.State{platform.PendingResponse}}},
		{name: "paid after an unpaid cancellation on woocommerce: the refund as a new version", adapter: woo,
			given: []step{deliver("", snap(platform.StatusPlaced, placedAt)), deliver("", req("cr-1", platform.Buyer))},
			when:  deliver("w", snap(platform.StatusPaid, t0)),
			want: want{changed: true, request: "cr-1", state: platform.Cancelled, version: 2, sync: 2, status: platform.StatusPaid,
				note: "order paid after its cancellation: refund added", refunded: true}},
		{name: "snapshot and request in one delivery: the snapshot first",
			when: deliver("w", platform.Event{Type: platform.CancellationRequested, Order: paid.Order, Cancellation: req("cr-1", platform.Buyer).Cancellation}),
			want: want{changed: true, request: "cr-1", state: platform.PendingResponse, version: 1, sync: 1, status: platform.StatusPaid,
				timers: []string{TimerDeadline}, decided: []platform.State{platform.PendingResponse}}},

		// Replays.
		{name: "a delivery applied before: a replay, nothing changes",
			given: []step{deliver("", paid), deliver("w", req("cr-1", platform.Buyer))},
			when:  deliver("w", req("cr-1", platform.Buyer)),
			want:  want{replay: true, request: "cr-1", state: platform.PendingResponse, version: 1, note: "-"}},
		{name: "a snapshot applied before: a replay, even when newer", given: []step{deliver("w", paid)},
			when: deliver("w", snap(platform.StatusShipped, t0)),
			want: want{replay: true, status: platform.StatusPaid, note: "-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ad := tc.adapter
			if ad == nil {
				ad = ali
			}
			doc := &Doc{}
			apply := func(s step, now time.Time, n int) *Transition {
				tr := &Transition{Doc: doc, OrderID: "o", Adapter: ad, OrderWait: orderWait, Now: now}
				if s.timer != nil {
					tr.ApplyTimer(*s.timer)
					return tr
				}
				id := s.webhookID
				if id == "" {
					id = "given-" + string(rune('a'+n))
				}
				tr.ApplyDelivery(id, now, s.ev)
				return tr
			}
			for i, s := range tc.given {
				if tr := apply(s, t0, i); !tr.Changed() {
					t.Fatalf("given step %d changed nothing", i)
				}
			}
			history := len(doc.History)
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			tr := apply(tc.when, now, len(tc.given))
			w, eff := tc.want, tr.Effects()

			if tr.Changed() != w.changed || tr.Replayed() != w.replay {
				t.Errorf("changed %v replayed %v, want %v %v", tr.Changed(), tr.Replayed(), w.changed, w.replay)
			}
			if w.request != "" {
				r := doc.Request(w.request)
				if r == nil {
					t.Fatalf("no request %s", w.request)
				}
				if r.State != w.state || r.Denial != w.denial {
					t.Errorf("request %s %s %q, want %s %q", r.ID, r.State, r.Denial, w.state, w.denial)
				}
				if (r.Refund != nil) != w.refunded {
					t.Errorf("refund %+v, want one: %v", r.Refund, w.refunded)
				}
			}
			if doc.Version != w.version {
				t.Errorf("document version %d, want %d", doc.Version, w.version)
			}
			if eff.Sync != w.sync {
				t.Errorf("sync effect v%d, want v%d", eff.Sync, w.sync)
			}
			var kinds []string
			for _, tm := range eff.Timers {
				kinds = append(kinds, tm.Kind)
				if (tm.Rearm != 0) != w.rearmed {
					t.Errorf("timer %+v: re-armed %v, want %v", tm, tm.Rearm != 0, w.rearmed)
				}
			}
			if !slices.Equal(kinds, w.timers) {
				t.Errorf("timers %v, want %v", kinds, w.timers)
			}
			if !slices.Equal(eff.Decided, w.decided) {
				t.Errorf("decided %v, want %v", eff.Decided, w.decided)
			}
			if w.status != "" && (doc.Order == nil || doc.Order.Status != w.status) {
				t.Errorf("order %+v, want status %s", doc.Order, w.status)
			}
			if doc.Conflict != w.conflict {
				t.Errorf("conflict %q, want %q", doc.Conflict, w.conflict)
			}
			switch added := doc.History[history:]; {
			case w.note == "-":
				if len(added) != 0 {
					t.Errorf("history entries %+v, want none", added)
				}
			case len(added) == 0:
				t.Errorf("no history entry, want one noting %q", w.note)
			case added[len(added)-1].Note != w.note:
				t.Errorf("last history note %q, want %q", added[len(added)-1].Note, w.note)
			}
			if tr.Changed() != (len(doc.History) != history) {
				t.Errorf("changed %v, but the history went from %d to %d entries", tr.Changed(), history, len(doc.History))
			}
			checkFormats(t, doc, ad, "o")
		})
	}
}

// TestPendingEffects: what a stored document still owes the queue, which a
// handler that finds its delivery already applied issues again.
func TestPendingEffects(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	respondBy := t0.Add(48 * time.Hour)
	tests := []struct {
		name   string
		doc    Doc
		sync   int64
		timers []Timer
	}{
		{name: "nothing stored", doc: Doc{}},
		{name: "pending, unsent: its sync and its deadline",
			doc:  Doc{Version: 1, Requests: []Request{{ID: "r", State: platform.PendingResponse, Version: 1, RespondBy: &respondBy}}},
			sync: 1, timers: []Timer{{Kind: TimerDeadline, RequestID: "r", At: respondBy}}},
		{name: "pending, acknowledged: its deadline only",
			doc:    Doc{Version: 1, Acked: 1, Requests: []Request{{ID: "r", State: platform.PendingResponse, Version: 1, RespondBy: &respondBy, Sync: SyncSynced}}},
			timers: []Timer{{Kind: TimerDeadline, RequestID: "r", At: respondBy}}},
		{name: "awaiting its order: the order_wait from its arrival",
			doc:    Doc{Requests: []Request{{ID: "r", State: platform.AwaitingOrder, ArrivedAt: t0}}},
			timers: []Timer{{Kind: TimerOrderWait, RequestID: "r", At: t0.Add(time.Minute)}}},
		{name: "two unsent versions: the latest",
			doc: Doc{Version: 2, Requests: []Request{
				{ID: "r1", State: platform.Denied, Version: 1}, {ID: "r2", State: platform.Cancelled, Version: 2}}},
			sync: 2},
		{name: "a dead version: nothing to send",
			doc:  Doc{Version: 1, Requests: []Request{{ID: "r", State: platform.Cancelled, Version: 1, Sync: SyncFailed}}},
			sync: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eff := PendingEffects(&tc.doc, time.Minute)
			if eff.Sync != tc.sync {
				t.Errorf("sync v%d, want v%d", eff.Sync, tc.sync)
			}
			if !slices.Equal(eff.Timers, tc.timers) {
				t.Errorf("timers %+v, want %+v", eff.Timers, tc.timers)
			}
			if len(eff.Decided) != 0 {
				t.Errorf("decided %v: a replay decides nothing", eff.Decided)
			}
			checkFormats(t, &tc.doc, &platform.Adapter{ID: "ali", Platform: "aliexpress"}, "o")
		})
	}
}
