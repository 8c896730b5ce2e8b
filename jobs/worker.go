package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// Worker runs the task handlers. Build it with NewWorker and serve its
// Handler with an Asynq server (see NewServer). Events and timers are
// applied here; everything about syncing back is the Syncer's.
type Worker struct {
	store     *orderstore.Store
	queue     *tasks.Queue
	adapter   func(id string) (*platform.Adapter, bool)
	orderWait time.Duration
	now       func() time.Time
	log       *slog.Logger
	metrics   *Metrics
	syncer    *syncback.Syncer
	// queueSyncs: see WorkerOptions.QueueSyncs.
	queueSyncs bool
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Adapters map[string]*platform.Adapter
	Retries  map[string]syncback.Retry
	// Lookup, when set, replaces Adapters: it is asked once per task, so a
	// task runs to its end with the adapter it started with and the next
	// one sees a reloaded set (README.md, Live configuration).
	Lookup func(id string) (*platform.Adapter, bool)
	// RetryOf, when set, replaces Retries, asked per push like Lookup.
	RetryOf   func(id string) (syncback.Retry, bool)
	OrderWait time.Duration
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
	Metrics   *Metrics         // nil: none
	// QueueSyncs makes every sync a task of its own, as the sync queue's
	// handler sees it, instead of trying the first attempt inside the task
	// that decided the state (the default, see syncInline).
	QueueSyncs bool
}

// NewWorker returns a worker that stores in store and queues follow-up tasks
// on queue.
func NewWorker(store *orderstore.Store, queue *tasks.Queue, o WorkerOptions) *Worker {
	w := &Worker{
		store: store, queue: queue, adapter: o.Lookup, orderWait: o.OrderWait,
		now: o.Now, log: o.Logger, metrics: o.Metrics, queueSyncs: o.QueueSyncs,
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.adapter == nil {
		w.adapter = mapLookup(o.Adapters)
	}
	retryOf := o.RetryOf
	if retryOf == nil {
		retryOf = mapLookup(o.Retries)
	}
	var m syncback.Metrics
	if o.Metrics != nil {
		m = o.Metrics
	}
	w.syncer = syncback.NewSyncer(store, queue, syncback.SyncerOptions{Retries: syncback.Backoff{RetryOf: retryOf}, Now: w.now, Logger: w.log, Metrics: m})
	for id := range o.Adapters {
		w.metrics.initAdapter(id)
	}
	return w
}

// Handler routes each task type to its handler.
func (w *Worker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypeEvent, w.handleEvent)
	mux.HandleFunc(tasks.TypeTimer, w.handleTimer)
	mux.HandleFunc(tasks.TypeSync, w.handleSync)
	return mux
}

// mapLookup is the lookup of a fixed map.
func mapLookup[V any](m map[string]V) func(string) (V, bool) {
	return func(id string) (V, bool) {
		v, ok := m[id]
		return v, ok
	}
}

// configured looks the task's adapter up once; the task keeps it to its end.
// An adapter removed from the config (a reload) fails its queued tasks for
// good: Asynq archives them with this error (the dead letter, for syncs) and
// the servers' failure log says so, so none is dropped unseen.
func (w *Worker) configured(id string) (*platform.Adapter, error) {
	ad, ok := w.adapter(id)
	if !ok {
		return nil, fmt.Errorf("%w: %w", &NotConfiguredError{AdapterID: id}, asynq.SkipRetry)
	}
	return ad, nil
}

// NotConfiguredError is a task of an adapter the config no longer has.
type NotConfiguredError struct{ AdapterID string }

func (e *NotConfiguredError) Error() string {
	return fmt.Sprintf("adapter %s is not configured", e.AdapterID)
}

func (w *Worker) handleEvent(ctx context.Context, t *asynq.Task) error {
	var d tasks.Delivery
	if err := json.Unmarshal(t.Payload(), &d); err != nil {
		return fmt.Errorf("decode event task: %v: %w", err, asynq.SkipRetry)
	}
	ad, err := w.configured(d.AdapterID)
	if err != nil {
		return err
	}
	orderID := d.Event.OrderID()
	live, known, err := w.liveFirst(ctx, ad, orderID, func(doc *order.Doc) bool {
		return doc.MayDecideOnDelivery(d.WebhookID, d.Event.Cancellation)
	})
	if err != nil {
		return err
	}
	return w.transact(ctx, ad, orderID, d.RequestID, &d, known, live, func(tr *order.Transition) {
		tr.ApplyDelivery(d.WebhookID, d.ReceivedAt, d.Event)
	},
		slog.String("webhook_id", d.WebhookID), slog.String("event", string(d.Event.Type)))
}

func (w *Worker) handleTimer(ctx context.Context, t *asynq.Task) error {
	var p tasks.TimerPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode timer task: %v: %w", err, asynq.SkipRetry)
	}
	ad, err := w.configured(p.AdapterID)
	if err != nil {
		return err
	}
	// Asynq stores due times in whole seconds, so a timer can fire up to a
	// second early; wait out the rest here rather than re-arm it.
	if early := p.At.Sub(w.now()); early > 0 && early <= tasks.MaxEarlyWait {
		select {
		case <-time.After(early):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	live, known, err := w.liveFirst(ctx, ad, p.OrderID, func(doc *order.Doc) bool { return doc.MayDecideOnTimer(p.Timer) })
	if err != nil {
		return err
	}
	return w.transact(ctx, ad, p.OrderID, "", nil, known, live, func(tr *order.Transition) {
		tr.ApplyTimer(p.Timer)
	},
		slog.String("timer", p.Kind), slog.String("cancel_request_id", p.RequestID))
}

// transact applies one transition atomically and then queues its effects.
// When the transition finds its work already stored (the task ran before and
// died before queueing), the document's outstanding effects are queued again.
// d is the delivery an event task applies (nil for a timer): its id is
// remembered for the dedup window (tasks.Queue.Enqueue) with the store, or on its
// own when nothing changes, before the task completes. known is the
// document as read just before (nil: read it), live the order as read from
// the platform (zero: not read).
func (w *Worker) transact(ctx context.Context, ad *platform.Adapter, orderID, requestID string, d *tasks.Delivery, known *orderstore.Stored, live liveRead, apply func(*order.Transition), attrs ...any) error {
	var tr *order.Transition
	// A transition that decides a state takes the order's sync lock in the
	// round trip that stores it, for the inline sync below.
	opts := []orderstore.ChangeOption{orderstore.TakeLock("", func() bool { return !w.queueSyncs && !tr.Replayed() && tr.Effects().Sync > 0 })}
	if d != nil {
		opts = append(opts, orderstore.Remember(d.WebhookID, w.queue.DedupWindow))
	}
	doc, stored, err := w.store.Change(ctx, ad.ID, orderID, known, func(doc *order.Doc) bool {
		tr = &order.Transition{Doc: doc, OrderID: orderID, Adapter: ad, OrderWait: w.orderWait, Now: w.now()}
		live.set(tr)
		apply(tr)
		return tr.Changed()
	}, opts...)
	if err != nil {
		return err
	}
	if d != nil && !tr.Changed() {
		w.queue.Remember(ctx, *d)
	}
	eff := tr.Effects()
	if tr.Replayed() {
		eff = order.PendingEffects(doc, w.orderWait)
	}
	queued := eff
	if stored.Locked() {
		// Otherwise another sync of the order holds the lock, and the sync
		// task queued below takes over once it is free. When Redis fails
		// during the inline sync, the task starts over from the document.
		if err := w.syncer.Inline(ctx, ad, orderID, stored, w.store.Held(ctx, ad.ID, orderID, stored), requestID); err == nil {
			queued.Sync = 0
		}
	}
	if err := w.queue.Issue(ctx, ad.ID, orderID, doc, queued, requestID); err != nil {
		return err
	}
	// Counted once the effects are queued: a task that dies before that
	// runs again, finds its transition stored (replay) and counts nothing.
	for _, s := range tr.Effects().Decided {
		w.metrics.decided(ad, s)
	}
	if tr.Changed() || tr.LiveResult() == order.LiveSame {
		w.countLive(ctx, ad, orderID, live, tr.LiveResult())
	}
	if tr.Changed() && w.log.Enabled(ctx, slog.LevelInfo) { // attributes built only for a line written
		attrs = append(attrs, slog.String("adapter", ad.ID), slog.String("order_id", orderID))
		if r := doc.AtVersion(tr.Effects().Sync); r != nil {
			attrs = append(attrs, slog.String("cancel_request_id", r.ID), slog.String("state", string(r.State)), slog.Int64("version", r.Version))
		}
		w.log.InfoContext(ctx, "applied", append(attrs, syncback.LogAttrs(ctx, requestID)...)...)
	}
	return nil
}

func (w *Worker) handleSync(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.DecodeSync(t)
	if err != nil {
		return err
	}
	ad, err := w.configured(p.AdapterID)
	if err != nil {
		return err
	}
	return w.syncer.Handle(ctx, ad, p)
}
