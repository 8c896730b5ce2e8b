package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/adapters"
)

// Retry shapes one adapter's sync-back retries.
type Retry struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// Worker runs the task handlers. Build it with NewWorker and serve its
// Handler with an Asynq server (see NewServer).
type Worker struct {
	store     *Store
	queue     *Queue
	adapters  map[string]*adapters.Adapter
	retries   map[string]Retry
	orderWait time.Duration
	now       func() time.Time
	log       *slog.Logger
	metrics   *Metrics
	lockWait  time.Duration
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Adapters  map[string]*adapters.Adapter
	Retries   map[string]Retry
	OrderWait time.Duration
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
	Metrics   *Metrics         // nil: none
}

// NewWorker returns a worker that stores in store and queues follow-up tasks
// on queue.
func NewWorker(store *Store, queue *Queue, o WorkerOptions) *Worker {
	w := &Worker{
		store: store, queue: queue, adapters: o.Adapters, retries: o.Retries, orderWait: o.OrderWait,
		now: o.Now, log: o.Logger, metrics: o.Metrics, lockWait: 10 * time.Second,
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	return w
}

// Handler routes each task type to its handler.
func (w *Worker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeEvent, w.handleEvent)
	mux.HandleFunc(TypeTimer, w.handleTimer)
	mux.HandleFunc(TypeSync, w.handleSync)
	return mux
}

func (w *Worker) adapter(id string) (*adapters.Adapter, error) {
	ad, ok := w.adapters[id]
	if !ok {
		return nil, fmt.Errorf("adapter %q is not configured: %w", id, asynq.SkipRetry)
	}
	return ad, nil
}

func (w *Worker) handleEvent(ctx context.Context, t *asynq.Task) error {
	var d Delivery
	if err := json.Unmarshal(t.Payload(), &d); err != nil {
		return fmt.Errorf("decode event task: %v: %w", err, asynq.SkipRetry)
	}
	ad, err := w.adapter(d.AdapterID)
	if err != nil {
		return err
	}
	orderID := d.Event.OrderID()
	return w.transact(ctx, ad, orderID, d.RequestID, func(tr *transition) { tr.applyDelivery(d) },
		slog.String("webhook_id", d.WebhookID), slog.String("event", string(d.Event.Type)))
}

func (w *Worker) handleTimer(ctx context.Context, t *asynq.Task) error {
	var p timerPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode timer task: %v: %w", err, asynq.SkipRetry)
	}
	ad, err := w.adapter(p.AdapterID)
	if err != nil {
		return err
	}
	// Asynq stores due times in whole seconds, so a timer can fire up to a
	// second early; wait out the rest here rather than re-arm it.
	if early := p.At.Sub(w.now()); early > 0 && early <= maxEarlyWait {
		select {
		case <-time.After(early):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return w.transact(ctx, ad, p.OrderID, "", func(tr *transition) { tr.applyTimer(p.timer) },
		slog.String("timer", p.Kind), slog.String("cancel_request_id", p.RequestID))
}

// maxEarlyWait is how early a timer may fire and still be waited out in
// its handler; earlier (clock skew between machines) it is re-armed.
const maxEarlyWait = 3 * time.Second

// transact applies one transition atomically and then queues its effects.
// When the transition finds its work already stored (the task ran before and
// died before queueing), the document's outstanding effects are queued again.
func (w *Worker) transact(ctx context.Context, ad *adapters.Adapter, orderID, requestID string, apply func(*transition), attrs ...any) error {
	var tr *transition
	doc, err := w.store.update(ctx, ad.ID, orderID, func(doc *orderDoc) bool {
		tr = &transition{doc: doc, orderID: orderID, adapter: ad, orderWait: w.orderWait, now: w.now()}
		apply(tr)
		return tr.changed
	})
	if err != nil {
		return err
	}
	eff := tr.eff
	if tr.replay {
		eff = pendingEffects(doc, w.orderWait)
	}
	if err := w.queue.issue(ctx, ad.ID, orderID, doc, eff); err != nil {
		return err
	}
	if tr.changed {
		log := w.log.With(attrs...)
		if cur := doc.current(); cur != nil && eff.sync > 0 {
			w.metrics.decided(ad, cur.State)
			log = log.With(slog.String("state", string(cur.State)), slog.Int64("version", cur.Version))
		}
		log.InfoContext(ctx, "applied", slog.String("adapter", ad.ID), slog.String("order_id", orderID), slog.String("request_id", requestID))
	}
	return nil
}

// errSyncBusy means another sync of the same order is running. It is not a
// failure: Asynq retries it soon without counting an attempt.
var errSyncBusy = errors.New("another sync of this order is running")

func (w *Worker) handleSync(ctx context.Context, t *asynq.Task) error {
	var p syncPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("decode sync task: %v: %w", err, asynq.SkipRetry)
	}
	ad, err := w.adapter(p.AdapterID)
	if err != nil {
		return err
	}
	unlock, err := w.store.lockSync(ctx, ad.ID, p.OrderID, w.lockWait)
	if err != nil {
		return err
	}
	defer unlock()

	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	attempt := retried + 1
	doc, err := w.store.load(ctx, ad.ID, p.OrderID)
	if err != nil {
		return err
	}
	// Asynq keeps retry times in whole seconds, so a retry may come up to a
	// second before the backoff or Retry-After it was given; wait that out.
	if early := doc.Sync.NextAt.Sub(w.now()); early > 0 && early <= maxEarlyWait {
		select {
		case <-time.After(early):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Every unacknowledged state, oldest version first, so the platform sees
	// them in order; a state superseded by a newer one of the same request
	// is not sent, and nothing at or below Acked is ever sent again.
	for _, u := range outstanding(doc, p.OrderID) {
		err := ad.Client.Push(ctx, adapters.IdempotencyKey(ad.ID, u), u)
		w.metrics.syncAttempt(ad, err)
		if err != nil {
			return w.syncFailed(ctx, ad, p, u.Version, attempt, retried >= maxRetry, err)
		}
		if err := w.syncAcked(ctx, ad, p.OrderID, u.Version, attempt); err != nil {
			return err
		}
		w.log.InfoContext(ctx, "synced", slog.String("adapter", ad.ID), slog.String("order_id", p.OrderID),
			slog.String("cancel_request_id", u.RequestID), slog.Int64("version", u.Version), slog.Int("attempt", attempt))
	}
	return nil
}

// outstanding lists the current states not yet acknowledged, by version.
func outstanding(doc *orderDoc, orderID string) []adapters.Update {
	var ups []adapters.Update
	for i := range doc.Requests {
		r := &doc.Requests[i]
		if r.Version > doc.Sync.Acked && r.State != adapters.AwaitingOrder {
			ups = append(ups, r.update(orderID))
		}
	}
	for i := 1; i < len(ups); i++ { // few entries: insertion sort
		for j := i; j > 0 && ups[j].Version < ups[j-1].Version; j-- {
			ups[j], ups[j-1] = ups[j-1], ups[j]
		}
	}
	return ups
}

func (w *Worker) syncAcked(ctx context.Context, ad *adapters.Adapter, orderID string, version int64, attempt int) error {
	_, err := w.store.update(ctx, ad.ID, orderID, func(doc *orderDoc) bool {
		if doc.Sync.Acked >= version {
			return false
		}
		doc.Sync.Acked = version
		if doc.Sync.Acked >= doc.Sync.Version {
			doc.Sync.State, doc.Sync.Attempts, doc.Sync.LastError, doc.Sync.NextAt = syncSynced, attempt, "", time.Time{}
		}
		return true
	})
	return err
}

// syncFailed records a failed push on the order and turns it into the
// task's result: retried, or archived (the dead letter) when permanent or
// out of attempts.
func (w *Worker) syncFailed(ctx context.Context, ad *adapters.Adapter, p syncPayload, version int64, attempt int, last bool, pushErr error) error {
	var se *adapters.SyncError
	permanent := errors.As(pushErr, &se) && !se.Retryable
	final := permanent || last
	msg := pushErr.Error()
	var delay time.Duration
	if !final {
		delay = RetryPolicy{Retries: w.retries}.forSync(p.AdapterID, attempt-1, pushErr)
	}
	nextAt := w.now().Add(delay)
	if _, err := w.store.update(ctx, ad.ID, p.OrderID, func(doc *orderDoc) bool {
		if doc.Sync.Acked >= version {
			return false
		}
		doc.Sync.Attempts, doc.Sync.LastError, doc.Sync.NextAt = attempt, msg, nextAt
		if final {
			doc.Sync.State = syncFailed
		}
		return true
	}); err != nil {
		return err
	}
	w.log.WarnContext(ctx, "sync failed", slog.String("adapter", ad.ID), slog.String("order_id", p.OrderID),
		slog.Int64("version", version), slog.Int("attempt", attempt), slog.Bool("final", final), slog.String("error", msg))
	err := fmt.Errorf("sync v%d: %w", version, pushErr)
	if permanent {
		return fmt.Errorf("%w (permanent: %w)", err, asynq.SkipRetry)
	}
	return &retryIn{err: err, delay: delay}
}

// retryIn carries the delay a failed sync chose (and recorded as NextAt) to
// the RetryDelayFunc, so both agree on when the next attempt is due.
type retryIn struct {
	err   error
	delay time.Duration
}

func (r *retryIn) Error() string { return r.err.Error() }
func (r *retryIn) Unwrap() error { return r.err }
