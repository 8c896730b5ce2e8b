package syncback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// Syncer owns the whole sync-back path: the order's sync lock, the push of
// every unsent version to the platform (oldest first), its acknowledgement,
// the failure record, the retry policy and the dead letter. The order's
// document is the one record of sync state: each request carries the sync
// record of its current version (state, attempts, last error, when the next
// attempt is due), and the document the highest version acknowledged.
// Asynq only runs the tasks: a sync task never fails because a push did
// (that is recorded and scheduled here), only when Redis does.
//
// A push has one of four results:
//   - synced: the platform has the version;
//   - skipped: the platform takes no call for its state
//     (platform.ErrNothingToSend), which counts as acknowledged;
//   - retry: a retryable failure with attempts left; a task of its own,
//     named by (version, attempt), is scheduled after the backoff, and the
//     order's later versions wait behind it so they reach the platform in
//     order;
//   - dead: a permanent failure (a *platform.SyncError that is not
//     Retryable) or the last of max_attempts; the version goes to the dead
//     letter once, and the later versions are sent at once.
//
// A sync that finds the order's sync busy (another one running, or a
// crashed one's lock not yet expired) has made no attempt: it queues itself
// again under a new id (comeBack) and completes, so waiting never counts
// as an attempt and never reaches the dead letter.
type Syncer struct {
	store     *orderstore.Store
	queue     *tasks.Queue
	retries   RetryPolicy
	now       func() time.Time
	log       *slog.Logger
	metrics   Metrics
	lockWait  time.Duration
	inspector *asynq.Inspector
}

// Metrics counts the pushes (jobs' Prometheus series).
type Metrics interface {
	// SyncAttempt counts one push by its result, one of the Outcome
	// constants, and how long it took.
	SyncAttempt(ad *platform.Adapter, outcome string, took time.Duration)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) SyncAttempt(*platform.Adapter, string, time.Duration) {}

// SyncerOptions configure a Syncer.
type SyncerOptions struct {
	// Retries is the retry policy of failed pushes (default Backoff with
	// every adapter on DefaultRetry).
	Retries RetryPolicy
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()
	Metrics Metrics          // nil: none
}

// Push results, also the outcome label of cancelsync_sync_attempts_total.
const (
	OutcomeSynced       = "synced"
	OutcomeSkipped      = "skipped"
	OutcomeRetried      = "retried"
	OutcomeDeadLettered = "dead_lettered"
)

// busyAgain is how soon a sync that found the order's sync busy runs again.
const busyAgain = time.Second

// deadHold is how far ahead a dead letter is scheduled before it is
// archived; it never runs unless a crash came between the two.
const deadHold = 30 * 24 * time.Hour

// NewSyncer returns the sync path of the orders store keeps, queueing on
// queue.
func NewSyncer(store *orderstore.Store, queue *tasks.Queue, o SyncerOptions) *Syncer {
	s := &Syncer{
		store: store, queue: queue, retries: o.Retries, now: o.Now, log: o.Logger, metrics: o.Metrics,
		lockWait: 2 * time.Second, inspector: queue.Inspector(),
	}
	if s.retries == nil {
		s.retries = Backoff{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.metrics == nil {
		s.metrics = noMetrics{}
	}
	return s
}

// Handle runs a sync task.
func (s *Syncer) Handle(ctx context.Context, ad *platform.Adapter, p tasks.SyncPayload) error {
	if p.Dead != nil {
		// A dead letter run again (asynqmon's Run): its version gets a new
		// round of attempts, as dlq replay gives it.
		if _, err := revive(ctx, s.store, ad.ID, p.OrderID, p.Version); err != nil {
			return err
		}
		p.Dead = nil
	}
	lock, cur, err := s.store.LockAndLoad(ctx, ad.ID, p.OrderID, s.lockWait)
	if errors.Is(err, orderstore.ErrSyncBusy) {
		return s.comeBack(ctx, p)
	}
	if err != nil {
		return err
	}
	defer lock.Unlock()
	return s.run(ctx, ad, p.OrderID, cur, lock, p.Origin)
}

// comeBack is the "busy, come back" outcome: the task queues its own
// continuation under a new id and completes. No push was made, so no
// attempt is counted, and Asynq never sees a failure.
func (s *Syncer) comeBack(ctx context.Context, p tasks.SyncPayload) error {
	id := tasks.WaitTaskID(p.AdapterID, p.OrderID, p.Version)
	return s.queue.EnqueueSync(ctx, p, id, asynq.ProcessIn(busyAgain))
}

// Inline makes the first attempt of a new state's sync from inside the task
// that decided it, holding the lock that task took with the store (see
// jobs' Worker): on success that saves a task and a lock/read cycle per
// decision. It returns an error only when Redis failed, and
// the caller then queues the sync task.
func (s *Syncer) Inline(ctx context.Context, ad *platform.Adapter, orderID string, cur orderstore.Stored, lock *orderstore.SyncLock, origin string) error {
	defer lock.Unlock()
	return s.run(ctx, ad, orderID, cur, lock, origin)
}

// unsentUpdate is one version to send with what its sync record needs.
type unsentUpdate struct {
	u        platform.Update
	round    int
	attempts int // made before this push
}

// run sends the order's unsent versions under its sync lock; cur is the
// document read (or written) under the lock.
func (s *Syncer) run(ctx context.Context, ad *platform.Adapter, orderID string, cur orderstore.Stored, lock *orderstore.SyncLock, origin string) error {
	doc, err := cur.Decoded(ad.ID, orderID)
	if err != nil {
		return err
	}
	var todo []unsentUpdate
	for _, r := range doc.Unsent() {
		todo = append(todo, unsentUpdate{u: r.Update(orderID), round: r.Round, attempts: r.Attempts})
	}
	if len(todo) == 0 {
		return nil
	}
	// A retry is due at the oldest version's NextAt. Asynq keeps due times
	// in whole seconds, so a retry may come up to a second early: wait that
	// out. Much earlier (a sync queued for a later version, or one that came
	// back from busy), the retry's own task is the one to send it: make sure
	// it is queued and stop.
	if first := doc.NextUnsent(); first != nil && !first.NextAt.IsZero() {
		if early := first.NextAt.Sub(s.now()); early > tasks.MaxEarlyWait {
			return s.queue.QueueNext(ctx, ad.ID, orderID, doc, origin)
		} else if early > 0 {
			select {
			case <-time.After(early):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	maxAttempts := max(s.queue.SyncAttempts(ad.ID), 1)
	for i, t := range todo {
		var release *orderstore.SyncLock
		if i == len(todo)-1 {
			release = lock // the last record hands the lock back in its round trip
		}
		start := time.Now()
		err := ad.Client.Push(ctx, platform.IdempotencyKey(ad.ID, t.u), t.u)
		took := time.Since(start)
		attempt := t.attempts + 1
		switch {
		case err == nil || errors.Is(err, platform.ErrNothingToSend):
			outcome := OutcomeSynced
			if err != nil {
				outcome = OutcomeSkipped
			}
			s.metrics.SyncAttempt(ad, outcome, took)
			if cur, err = s.acked(ctx, ad, orderID, cur, release, t.u.Version, outcome); err != nil {
				return err
			}
			if s.log.Enabled(ctx, slog.LevelInfo) { // attributes built only for a line written
				s.log.InfoContext(ctx, outcome, append(s.attrs(ad, orderID, t.u, attempt), LogAttrs(ctx, origin)...)...)
			}
		case permanent(err) || attempt >= maxAttempts:
			msg := failureMsg(ad, err)
			s.metrics.SyncAttempt(ad, OutcomeDeadLettered, took)
			s.logFailure(ctx, ad, orderID, t.u, attempt, OutcomeDeadLettered, msg, origin)
			// Archived before it is recorded: a crash in between pushes
			// again and finds the dead letter already there (its id is the
			// version's), so the version is dead-lettered once.
			if err := s.Archive(ctx, ad, orderID, t.u, t.round, attempt, msg); err != nil {
				return err
			}
			if cur, err = s.RecordFailure(ctx, ad, orderID, cur, release, t.u.Version, msg, time.Time{}); err != nil {
				return err
			}
			// A dead version does not hold back the later ones.
		default:
			msg := failureMsg(ad, err)
			delay := s.retries.NextRetry(ad.ID, attempt-1, err)
			s.metrics.SyncAttempt(ad, OutcomeRetried, took)
			s.logFailure(ctx, ad, orderID, t.u, attempt, OutcomeRetried, msg, origin, slog.Duration("retry_in", delay))
			if cur, err = s.RecordFailure(ctx, ad, orderID, cur, release, t.u.Version, msg, s.now().Add(delay)); err != nil {
				return err
			}
			// Later versions wait behind this one, so that the platform
			// sees them in order.
			next, err := cur.Decoded(ad.ID, orderID)
			if err != nil {
				return err
			}
			return s.queue.QueueNext(ctx, ad.ID, orderID, next, origin)
		}
	}
	return nil
}

// failureMsg is a failed push as it is recorded (last_error, the dead
// letter) and logged: the one place a push error becomes text, so every
// credential of the adapter is hidden here, in all its encodings, whatever
// the client let through (docs/GUARANTEES.md).
func failureMsg(ad *platform.Adapter, err error) string {
	return ad.Redactor.Redact(err.Error())
}

// permanent reports whether a push failure will fail again however often
// it is sent: a *platform.SyncError that is not Retryable. Anything else
// (a client that broke the Client contract) is retried.
func permanent(err error) bool {
	var se *platform.SyncError
	return errors.As(err, &se) && !se.Retryable
}

// acked records that version reached the platform (synced) or had nothing
// to send (skipped). It starts from cur, the document as last read or
// written under the sync lock, so that in the usual case it costs one
// compare-and-set and no read; it returns the document as stored.
func (s *Syncer) acked(ctx context.Context, ad *platform.Adapter, orderID string, cur orderstore.Stored, release *orderstore.SyncLock, version int64, outcome string) (orderstore.Stored, error) {
	return s.record(ctx, ad, orderID, cur, release, func(doc *order.Doc) bool {
		changed := false
		if doc.Acked < version {
			doc.Acked, changed = version, true
		}
		// A request that moved on to a newer state meanwhile keeps that
		// state's record; the acknowledgement still counts for Acked.
		if r := doc.AtVersion(version); r != nil && r.Sync == "" {
			r.Sync, r.Attempts, r.LastError, r.NextAt = outcome, r.Attempts+1, "", time.Time{}
			changed = true
		}
		doc.Compact()
		return changed
	})
}

// RecordFailure records a failed push of version: with next set, the attempt
// that will follow; zero, the version is dead.
func (s *Syncer) RecordFailure(ctx context.Context, ad *platform.Adapter, orderID string, cur orderstore.Stored, release *orderstore.SyncLock, version int64, msg string, next time.Time) (orderstore.Stored, error) {
	return s.record(ctx, ad, orderID, cur, release, func(doc *order.Doc) bool {
		r := doc.AtVersion(version)
		if r == nil || r.Sync != "" || version <= doc.Acked {
			return false
		}
		r.Attempts, r.LastError, r.NextAt = r.Attempts+1, msg, next
		if next.IsZero() {
			r.Sync = order.SyncFailed
		}
		return true
	})
}

func (s *Syncer) record(ctx context.Context, ad *platform.Adapter, orderID string, cur orderstore.Stored, release *orderstore.SyncLock, fn func(*order.Doc) bool) (orderstore.Stored, error) {
	var opts []orderstore.ChangeOption
	if release != nil {
		opts = append(opts, orderstore.ReleaseLock(release))
	}
	_, stored, err := s.store.Change(ctx, ad.ID, orderID, &cur, fn, opts...)
	return stored, err
}

// Archive puts the version's sync in Asynq's archive of the sync queue,
// where asynqmon shows it: a sync task of the version, queued far ahead and
// archived at once. Its id is the version's and round's (orderstore.DeadLetterID), so
// it is there once however often this runs. The dead letter itself is the
// record the compare-and-set that stores the version as failed writes
// (package orderstore/deadletter): Asynq's archive drops old tasks past 10,000. Run again
// from asynqmon, it is an ordinary sync of the order.
func (s *Syncer) Archive(ctx context.Context, ad *platform.Adapter, orderID string, u platform.Update, round, attempts int, msg string) error {
	p := tasks.SyncPayload{AdapterID: ad.ID, OrderID: orderID, RequestID: u.RequestID, Version: u.Version,
		Dead: &tasks.DeadInfo{Attempts: attempts, Error: msg, At: s.now().UTC().Truncate(time.Millisecond)}}
	id := orderstore.DeadLetterID(ad.ID, orderID, u.Version, round)
	if err := s.queue.EnqueueSync(ctx, p, id, asynq.ProcessIn(deadHold)); err != nil {
		return err
	}
	queue := s.queue.Layout().Sync(ad.ID, orderID)
	if err := s.inspector.ArchiveTask(queue, id); err != nil {
		if info, ierr := s.inspector.GetTaskInfo(queue, id); ierr != nil || info.State != asynq.TaskStateArchived {
			return fmt.Errorf("dead letter %s: %w", id, err)
		}
	}
	return nil
}

func (s *Syncer) attrs(ad *platform.Adapter, orderID string, u platform.Update, attempt int) []any {
	return []any{slog.String("adapter", ad.ID), slog.String("order_id", orderID),
		slog.String("cancel_request_id", u.RequestID), slog.Int64("version", u.Version), slog.Int("attempt", attempt)}
}

func (s *Syncer) logFailure(ctx context.Context, ad *platform.Adapter, orderID string, u platform.Update, attempt int, outcome, msg, origin string, extra ...any) {
	attrs := append(s.attrs(ad, orderID, u, attempt), slog.String("outcome", outcome), slog.String("error", msg))
	attrs = append(attrs, extra...)
	s.log.WarnContext(ctx, "sync failed", append(attrs, LogAttrs(ctx, origin)...)...)
}

// revive makes a dead version pending again with a new round of
// attempts; a version older than one the platform acknowledged stays as it
// is, since it is never sent. It returns the stored document.
func revive(ctx context.Context, store *orderstore.Store, adapterID, orderID string, version int64) (*order.Doc, error) {
	return store.Update(ctx, adapterID, orderID, func(doc *order.Doc) bool {
		r := doc.AtVersion(version)
		if r == nil || r.Sync != order.SyncFailed || version <= doc.Acked {
			return false
		}
		r.Sync, r.Attempts, r.LastError, r.NextAt = "", 0, "", time.Time{}
		r.Round++
		return true
	})
}
