package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// Intake takes the verified deliveries of the webhook endpoints. Most are
// queued for the workers (tasks.Queue.Enqueue). An order snapshot that needs
// nothing of them is stored at once instead: one that no request waits on
// and that decides nothing, schedules nothing and syncs nothing (the
// common case: a new order, or an order's update before anyone asks to
// cancel it). It is stored by the same transition and the same
// compare-and-set a worker would run, with its delivery id remembered in
// that round trip, so the webhook is durable when ingest answers 202, as
// before, and it costs one Asynq task less (docs/API.md §3, "Where a
// delivery is applied"). Ingest still decides nothing: a
// snapshot whose transition would decide, time or push anything is queued
// unchanged and the workers apply it.
type Intake struct {
	queue     *tasks.Queue
	store     *orderstore.Store
	adapter   func(id string) (*platform.Adapter, bool)
	orderWait time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// IntakeOptions configure an Intake, as WorkerOptions do a Worker.
type IntakeOptions struct {
	// Lookup finds a delivery's adapter (a live adapter set's lookup).
	Lookup    func(id string) (*platform.Adapter, bool)
	OrderWait time.Duration
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
}

// NewIntake returns an intake that stores in store and queues on queue.
func NewIntake(store *orderstore.Store, queue *tasks.Queue, o IntakeOptions) *Intake {
	in := &Intake{queue: queue, store: store, adapter: o.Lookup, orderWait: o.OrderWait, now: o.Now, log: o.Logger}
	if in.now == nil {
		in.now = time.Now
	}
	if in.log == nil {
		in.log = slog.Default()
	}
	return in
}

// Enqueue makes d durable: stored, when it is a snapshot that needs no
// worker, or else queued. It reports duplicate as tasks.Queue.Enqueue does, and
// any error means nothing was accepted.
//
// A snapshot's dedup check is part of its store (the compare-and-set
// refuses when the webhook-id is remembered), or of its queueing
// (tasks.Queue.enqueueMarked): two round trips in all, the document's read and
// its store.
func (in *Intake) Enqueue(ctx context.Context, d tasks.Delivery) (duplicate bool, err error) {
	if ad, ok := in.adapter(d.AdapterID); ok && d.Event.Order != nil && d.Event.Cancellation == nil {
		switch dup, stored, err := in.apply(ctx, ad, d); {
		case err == nil && stored:
			return dup, nil
		case err != nil && !errors.Is(err, orderstore.ErrUnreadable):
			// Redis failed or did not answer in time: the queue is the
			// same Redis, and trying it too would make the sender wait
			// twice for one 503 (a stalled Redis costs a timeout per round
			// trip).
			return false, fmt.Errorf("apply %s: %w", d.WebhookID, err)
		}
		// A snapshot for the workers, or an order whose stored document
		// does not decode: the workers apply it, or retry and say why.
		return in.queue.EnqueueMarked(ctx, d)
	}
	return in.queue.Enqueue(ctx, d)
}

// apply stores snapshot delivery d when its transition needs no worker.
// stored false (and no error) means it does need one and nothing was
// written. An unchanged order (an older snapshot, the same one again, one
// already in its history) stores nothing but the delivery's id: remembered first, a fresh
// delivery; already remembered, a duplicate (two deliveries of one
// webhook racing each other).
func (in *Intake) apply(ctx context.Context, ad *platform.Adapter, d tasks.Delivery) (duplicate, stored bool, err error) {
	orderID := d.Event.OrderID()
	var tr *order.Transition
	// A new order's first snapshot is stored without reading first: the
	// compare-and-set checks that there is no document yet (AbsentGuess).
	var known *orderstore.Stored
	if d.Event.Type == platform.OrderCreated {
		guess := orderstore.AbsentGuess
		known = &guess
	}
	_, _, err = in.store.Change(ctx, ad.ID, orderID, known, func(doc *order.Doc) bool {
		tr = &order.Transition{Doc: doc, OrderID: orderID, Adapter: ad, OrderWait: in.orderWait, Now: in.now()}
		tr.ApplyDelivery(d.WebhookID, d.ReceivedAt, d.Event)
		return tr.Changed() && !tr.NeedsWorker()
	}, orderstore.Remember(d.WebhookID, in.queue.DedupWindow), orderstore.Guarded(d.WebhookID))
	switch {
	case errors.Is(err, orderstore.ErrRemembered):
		return true, true, nil
	case errors.Is(err, orderstore.ErrGuarded):
		return false, false, nil // being queued by another delivery of it
	case err != nil:
		return false, false, err
	case tr.NeedsWorker():
		return false, false, nil
	case !tr.Changed():
		fresh, err := in.queue.RememberNew(ctx, d)
		return !fresh, err == nil, err
	}
	// At debug: ingest's own line (status 202, webhook_id, order_id,
	// request_id) records it at info, one JSON line per snapshot instead
	// of two.
	if !in.log.Enabled(ctx, slog.LevelDebug) {
		return false, true, nil
	}
	attrs := []slog.Attr{
		slog.String("webhook_id", d.WebhookID), slog.String("event", string(d.Event.Type)),
		slog.String("adapter", ad.ID), slog.String("order_id", orderID),
	}
	if d.RequestID != "" {
		attrs = append(attrs, slog.String("request_id", d.RequestID))
	}
	in.log.LogAttrs(ctx, slog.LevelDebug, "applied", append(attrs, slog.String("by", "ingest"))...)
	return false, true, nil
}
