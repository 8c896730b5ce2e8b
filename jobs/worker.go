package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
	// queueSyncs: see WorkerOptions.QueueSyncs.
	queueSyncs bool
	inspector  *asynq.Inspector
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Adapters  map[string]*adapters.Adapter
	Retries   map[string]Retry
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
func NewWorker(store *Store, queue *Queue, o WorkerOptions) *Worker {
	w := &Worker{
		store: store, queue: queue, adapters: o.Adapters, retries: o.Retries, orderWait: o.OrderWait,
		now: o.Now, log: o.Logger, metrics: o.Metrics, lockWait: 10 * time.Second, queueSyncs: o.QueueSyncs,
		inspector: asynq.NewInspectorFromRedisClient(queue.rdb),
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	for id := range o.Adapters {
		w.metrics.initAdapter(id)
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
	// A transition that decides a state takes the order's sync lock in the
	// round trip that stores it, for the inline sync below.
	lk := &casLock{token: newLockToken(), take: func() bool { return !w.queueSyncs && !tr.replay && tr.eff.sync > 0 }}
	doc, stored, err := w.store.change(ctx, ad.ID, orderID, nil, lk, func(doc *orderDoc) bool {
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
	eff.requestID = requestID
	queued := eff
	if lk.taken {
		// Otherwise another sync of the order holds the lock, and the sync
		// task queued below takes over once it is free.
		handled, err := w.syncInline(ctx, ad, orderID, doc, stored, eff, w.store.held(ctx, ad.ID, orderID, lk.token))
		if err != nil {
			return err
		}
		if handled {
			queued.sync = 0
		}
	}
	if err := w.queue.issue(ctx, ad.ID, orderID, doc, queued); err != nil {
		return err
	}
	// Counted once the effects are queued: a task that dies before that
	// runs again, finds its transition stored (replay) and counts nothing.
	for _, s := range tr.eff.decided {
		w.metrics.decided(ad, s)
	}
	if tr.changed {
		attrs = append(attrs, slog.String("adapter", ad.ID), slog.String("order_id", orderID))
		if r := doc.atVersion(eff.sync); r != nil {
			attrs = append(attrs, slog.String("cancel_request_id", r.ID), slog.String("state", string(r.State)), slog.Int64("version", r.Version))
		}
		w.log.InfoContext(ctx, "applied", append(attrs, taskAttrs(ctx, requestID)...)...)
	}
	return nil
}

// taskAttrs are the correlation attributes of a job's log lines: the ingest
// request id that started the chain (when there is one) and the Asynq task
// id, which asynqmon shows.
func taskAttrs(ctx context.Context, requestID string) []any {
	attrs := make([]any, 0, 2)
	if requestID != "" {
		attrs = append(attrs, slog.String("request_id", requestID))
	}
	if id, ok := asynq.GetTaskID(ctx); ok {
		attrs = append(attrs, slog.String("task_id", id))
	}
	return attrs
}

// syncInline makes the first attempt of a new state's sync from inside the
// task that decided it, instead of queueing a sync task for it: on success
// that saves a task (enqueue, dequeue, completion) and a lock/read/ack cycle
// of round trips per decision, which is what bounds cancellations per
// second (BENCHMARKS.md). It changes no guarantee: the event's task is still
// active in Asynq until this returns, so a crash here re-runs it, finds the
// transition stored (replay) and queues the sync task as before.
//
// The caller took the order's sync lock together with storing the decided
// document (casLock); syncInline releases it. It reports handled when the
// sync needs no more from the caller: every state was acknowledged, or the
// failure was recorded on the order and the sync task that continues from
// attempt 2 (after the backoff the failure chose) or carries it to the dead
// letter is queued. When Redis fails it leaves the sync to the task.
func (w *Worker) syncInline(ctx context.Context, ad *adapters.Adapter, orderID string, decided *orderDoc, stored storedDoc, eff effects, lock *syncLock) (handled bool, err error) {
	defer lock.unlock()
	// The lock was taken with the store, so the decided document is the
	// stored one: nothing to read or decode again. The acknowledgement
	// below may update its sync fields; the caller only reads its requests.
	cur := stored
	cur.doc = decided
	p := newSyncPayload(ad.ID, orderID, decided, eff)
	attempts := max(w.queue.SyncAttempts(ad.ID), 1)
	err = w.push(ctx, ad, p, cur, lock, 1, attempts <= 1)
	var retry *retryIn
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &retry) && attempts > 1:
		p.Prior = 1
		return true, w.queue.enqueueSync(ctx, p, syncTaskID(ad.ID, orderID, eff.sync), asynq.ProcessIn(retry.delay))
	case errors.As(err, &retry), errors.Is(err, asynq.SkipRetry):
		p.Prior = 1
		p.Dead = strings.TrimSuffix(err.Error(), " (permanent: "+asynq.SkipRetry.Error()+")")
		return true, w.queue.enqueueSync(ctx, p, syncTaskID(ad.ID, orderID, eff.sync))
	}
	// Redis failed while recording the outcome: the sync task starts over.
	return false, nil
}

// ranBefore reports whether the running task failed in an earlier run, i.e.
// it was archived and is being run again. On a Redis error it says no.
func (w *Worker) ranBefore(ctx context.Context) bool {
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	info, err := w.inspector.GetTaskInfo(queue, id)
	return err == nil && !info.LastFailedAt.IsZero()
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
	if p.Dead != "" && !w.ranBefore(ctx) {
		// The first attempt, made by the event's task, failed for good and
		// is recorded on the order; this task only carries it to the dead
		// letter. Run again from there by hand (asynqmon's Run), it has
		// failed before and pushes for real like any sync.
		return fmt.Errorf("%s (permanent: %w)", p.Dead, asynq.SkipRetry)
	}
	lock, cur, err := w.store.lockAndLoad(ctx, ad.ID, p.OrderID, w.lockWait)
	if err != nil {
		return err
	}
	defer lock.unlock()

	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	attempt := p.Prior + retried + 1
	doc, err := decodeDoc(orderKey(ad.ID, p.OrderID), cur)
	if err != nil {
		return err
	}
	cur.doc = doc
	// Asynq keeps retry times in whole seconds, so a retry may come up to a
	// second before the backoff or Retry-After it was given; wait that out.
	if early := doc.Sync.NextAt.Sub(w.now()); early > 0 && early <= maxEarlyWait {
		select {
		case <-time.After(early):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return w.push(ctx, ad, p, cur, lock, attempt, retried >= maxRetry)
}

// push sends the order's unacknowledged states to the platform and records
// each acknowledgement; the caller holds the order's sync lock and read doc
// (stored as cur) under it. attempt numbers this try, last says it is the
// final one. A failed push is recorded on the order and returned as the
// task's result (see syncFailed).
func (w *Worker) push(ctx context.Context, ad *adapters.Adapter, p syncPayload, cur storedDoc, lock *syncLock, attempt int, last bool) error {
	doc := cur.doc
	if doc == nil {
		var err error
		if doc, err = decodeDoc(orderKey(ad.ID, p.OrderID), cur); err != nil {
			return err
		}
	}
	// Every unacknowledged state, oldest version first, so the platform sees
	// them in order; a state superseded by a newer one of the same request
	// is not sent, and nothing at or below Acked is ever sent again.
	ups := outstanding(doc, p.OrderID)
	for i, u := range ups {
		start := time.Now()
		err := ad.Client.Push(ctx, adapters.IdempotencyKey(ad.ID, u), u)
		w.metrics.syncAttempt(ad, err, time.Since(start))
		// A state this platform takes no call for is acknowledged as skipped.
		skipped := errors.Is(err, adapters.ErrNothingToSend)
		if err != nil && !skipped {
			return w.syncFailed(ctx, ad, p, u.Version, attempt, last, err)
		}
		// The last acknowledgement hands the lock back in the same round
		// trip; the caller's unlock then has nothing left to do.
		var release *syncLock
		if i == len(ups)-1 {
			release = lock
		}
		if cur, err = w.syncAcked(ctx, ad, p.OrderID, cur, release, u.Version, attempt, skipped); err != nil {
			return err
		}
		outcome := OutcomeSynced
		if skipped {
			outcome = OutcomeSkipped
		}
		w.metrics.syncOutcome(ad, outcome)
		w.log.InfoContext(ctx, "synced", append([]any{slog.String("adapter", ad.ID), slog.String("order_id", p.OrderID),
			slog.String("cancel_request_id", u.RequestID), slog.Int64("version", u.Version), slog.Int("attempt", attempt)},
			taskAttrs(ctx, p.Origin)...)...)
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

// syncAcked records that the platform acknowledged version (skipped: it
// takes no call for that state). It starts from
// cur, the document as last read or written under the sync lock, so that in
// the usual case it costs one compare-and-set and no read; it returns the
// document as stored afterwards.
func (w *Worker) syncAcked(ctx context.Context, ad *adapters.Adapter, orderID string, cur storedDoc, release *syncLock, version int64, attempt int, skipped bool) (storedDoc, error) {
	state := syncSynced
	if skipped {
		state = syncSkipped
	}
	var lk *casLock
	if release != nil {
		lk = &casLock{release: release}
	}
	_, stored, err := w.store.change(ctx, ad.ID, orderID, &cur, lk, func(doc *orderDoc) bool {
		if doc.Sync.Acked >= version {
			return false
		}
		doc.Sync.Acked = version
		if doc.Sync.Acked >= doc.Sync.Version {
			doc.Sync.State, doc.Sync.Attempts, doc.Sync.LastError, doc.Sync.NextAt = state, attempt, "", time.Time{}
		}
		return true
	})
	return stored, err
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
	outcome := OutcomeRetried
	if final {
		outcome = OutcomeDeadLettered
	}
	w.metrics.syncOutcome(ad, outcome)
	w.log.WarnContext(ctx, "sync failed", append([]any{slog.String("adapter", ad.ID), slog.String("order_id", p.OrderID),
		slog.Int64("version", version), slog.Int("attempt", attempt), slog.Bool("final", final), slog.String("outcome", outcome),
		slog.String("error", msg)}, taskAttrs(ctx, p.Origin)...)...)
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
