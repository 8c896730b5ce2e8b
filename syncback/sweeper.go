package syncback

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/tasks"
)

// Sweeper makes sure no decided version sits unsynced unseen: every round
// (default a minute) one process at a time, the holder of a lease in Redis,
// walks each adapter's index of versions not yet acknowledged
// (orderstore's UnackedPage, written by the compare-and-set itself, so no SCAN) and
// queues the sync again of every one that has no live task: its sync lock
// is free, the task that would send it next does not exist, and it was
// decided at least a round ago. Every such version is a loss that a bug or
// a fault let through; it is counted (cancelsync_sync_resweeps_total) and
// logged with its order, and in a healthy run there is none. The sweeper
// adds nothing to a cancellation's own path: it reads the index the store
// already keeps (docs/GUARANTEES.md, "The sweeper").
type Sweeper struct {
	store     *orderstore.Store
	queue     *tasks.Queue
	inspector *asynq.Inspector
	adapters  func() []string
	every     time.Duration
	now       func() time.Time
	log       *slog.Logger
	resweeps  *prometheus.CounterVec
	token     string
}

// SweeperOptions configure a Sweeper.
type SweeperOptions struct {
	// Adapters lists the configured adapter ids, asked every round (a
	// live adapter set's ids).
	Adapters func() []string
	// Every is how often a round runs (default DefaultSweepEvery).
	Every time.Duration
	Now   func() time.Time // default time.Now
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Registerer, when set, gets cancelsync_sync_resweeps_total.
	Registerer prometheus.Registerer
}

// DefaultSweepEvery is how often the sweeper looks, unless configured.
const DefaultSweepEvery = time.Minute

// sweepPage is how many index entries one round reads per round trip.
const sweepPage = 200

// NewSweeper returns a sweeper of the versions store keeps, queueing on
// queue.
func NewSweeper(store *orderstore.Store, queue *tasks.Queue, o SweeperOptions) *Sweeper {
	s := &Sweeper{
		store: store, queue: queue, inspector: queue.Inspector(),
		adapters: o.Adapters, every: o.Every, now: o.Now, log: o.Logger, token: orderstore.NewToken(),
		resweeps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_resweeps_total",
			Help: "Decided versions found unsynced with no task to send them, and queued again by the sweeper; 0 in a healthy run.",
		}, []string{"adapter"}),
	}
	if s.every <= 0 {
		s.every = DefaultSweepEvery
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.resweeps)
	}
	for _, id := range s.adapters() {
		s.resweeps.WithLabelValues(id)
	}
	return s
}

// Run sweeps every round until ctx ends, then gives its lease back.
func (s *Sweeper) Run(ctx context.Context) {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	defer s.release()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if held, err := s.lease(ctx); err != nil || !held {
			continue
		}
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep", slog.String("error", err.Error()))
		}
	}
}

// lease reports whether this process holds the sweep lease for the next
// two rounds (so a process that dies gives it up within two).
func (s *Sweeper) lease(ctx context.Context) (bool, error) {
	return s.store.SweepLease(ctx, s.token, 2*s.every)
}

// release gives the lease back, so another process takes over at its next
// round instead of after the lease runs out.
func (s *Sweeper) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.store.ReleaseSweepLease(ctx, s.token)
}

// Sweep runs one round over every adapter and returns how many versions it
// queued again. A version found without a live task is looked at once
// more a moment later (confirmAfter), and queued only if nothing moved in
// between: a sync between storing its record and queueing its next task,
// or one coming back from a busy order, is not taken for lost.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	var suspects []suspect
	var errs []error
	for _, id := range s.adapters() {
		found, err := s.scan(ctx, id)
		suspects = append(suspects, found...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(suspects) == 0 {
		return 0, errors.Join(errs...)
	}
	select {
	case <-time.After(s.confirmAfter()):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	var queued int
	for _, sp := range suspects {
		ok, err := s.requeue(ctx, sp)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			queued++
		}
	}
	return queued, errors.Join(errs...)
}

// confirmAfter is how long a suspect is watched before it is queued.
func (s *Sweeper) confirmAfter() time.Duration { return min(s.every/2, 2*time.Second) }

// suspect is a version that had no live task when a round looked.
type suspect struct {
	adapterID, orderID string
	version            int64
	round, attempts    int
}

// scan walks one adapter's unacknowledged versions, bucket by bucket
// (one on a single Redis), a page at a time, and returns those without a
// live task.
func (s *Sweeper) scan(ctx context.Context, adapterID string) ([]suspect, error) {
	var found []suspect
	for bucket := range s.store.Buckets(adapterID) {
		for start := int64(0); ; start += sweepPage {
			read, orders, err := s.store.UnackedPage(ctx, adapterID, bucket, start, sweepPage)
			if err != nil {
				return found, err
			}
			if read == 0 {
				break
			}
			page, err := s.unsynced(ctx, adapterID, orders)
			found = append(found, page...)
			if err != nil {
				return found, err
			}
			if read < sweepPage {
				break
			}
		}
	}
	return found, nil
}

// unsynced reads the orders' documents and sync locks in one round trip
// and returns the oldest unsent version of each that has no live task.
func (s *Sweeper) unsynced(ctx context.Context, adapterID string, orders []string) ([]suspect, error) {
	docs, err := s.store.UnlockedDocs(ctx, adapterID, orders)
	if err != nil {
		return nil, err
	}
	var found []suspect
	for i, orderID := range orders {
		doc := docs[i] // nil: a sync of it is running, or it is gone
		if doc == nil {
			continue
		}
		sp, ok := s.suspectOf(adapterID, orderID, doc)
		if !ok {
			continue
		}
		live, err := s.hasTask(sp)
		if err != nil {
			return found, err
		}
		if !live {
			found = append(found, sp)
		}
	}
	return found, nil
}

// suspectOf is doc's oldest unsent version, if it has one and its last
// transition is settled.
func (s *Sweeper) suspectOf(adapterID, orderID string, doc *order.Doc) (suspect, bool) {
	r := doc.NextUnsent()
	if r == nil || !s.settled(doc) {
		return suspect{}, false
	}
	return suspect{adapterID: adapterID, orderID: orderID, version: r.Version, round: r.Round, attempts: r.Attempts}, true
}

// requeue queues the sync of a suspect that is still as it was: the same
// oldest unsent version, round and attempts, its lock free and no task.
// The task is looked for first and the document read after it, so a sync
// that ran and completed in between shows in the document; the document
// so read is the one queued from.
func (s *Sweeper) requeue(ctx context.Context, sp suspect) (bool, error) {
	if live, err := s.hasTask(sp); err != nil || live {
		return false, err
	}
	docs, err := s.store.UnlockedDocs(ctx, sp.adapterID, []string{sp.orderID})
	if err != nil || docs[0] == nil {
		return false, err
	}
	doc := docs[0]
	if now, ok := s.suspectOf(sp.adapterID, sp.orderID, doc); !ok || now != sp {
		return false, nil
	}
	if err := s.queue.QueueNext(ctx, sp.adapterID, sp.orderID, doc, ""); err != nil {
		return false, err
	}
	s.resweeps.WithLabelValues(sp.adapterID).Inc()
	s.log.WarnContext(ctx, "sync re-queued by the sweeper", slog.String("adapter", sp.adapterID), slog.String("order_id", sp.orderID),
		slog.Int64("version", sp.version), slog.Int("attempts", sp.attempts))
	return true, nil
}

// settled reports whether the document's last transition is at least a
// round old: a version decided a moment ago may not have queued its task
// yet, and a sync that found its order busy comes back within seconds.
func (s *Sweeper) settled(doc *order.Doc) bool {
	if len(doc.History) == 0 {
		return true
	}
	return s.now().Sub(doc.History[len(doc.History)-1].At) >= s.every
}

// hasTask reports whether the sync task that sends sp's version next is
// queued, scheduled, retrying or running.
func (s *Sweeper) hasTask(sp suspect) (bool, error) {
	info, err := s.inspector.GetTaskInfo(s.queue.Layout().Sync(sp.adapterID, sp.orderID), tasks.SyncTaskID(sp.adapterID, sp.orderID, sp.version, sp.round, sp.attempts+1))
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return info.State != asynq.TaskStateCompleted, nil
}
