package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/tasks"
)

// ServerOptions configure the Asynq server that runs a Worker.
type ServerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	// TimerResolution is how often due timers and retries are moved onto
	// the queue (Asynq's DelayedTaskCheckInterval, default 5 s there).
	TimerResolution time.Duration
	Retries         map[string]Retry
	Logger          *slog.Logger
}

// One Asynq server dequeues one task at a time, one Redis round trip each,
// so on a loaded machine its dequeue loop, not the handlers, bounds the
// tasks per second (ASYNQ.md: ~7,000/s idle, far fewer when the CPUs are
// busy). So the events queue gets one server, with its own loop, per
// workersPerDequeuer of its workers (at most maxDequeuers); the autopipe
// hook sends their round trips together. Measured in BENCHMARKS.md: 3
// loops instead of 1 bought a third more cancellations per second, 6 a
// little more again.
const (
	workersPerDequeuer = 6
	maxDequeuers       = 8
)

// Server runs a Worker's handler on cancelsync's queues: several Asynq
// servers on the events queue and one on the sync queue, which after
// inline syncs (Worker.syncInline) only carries retries and the occasional
// sync of a busy order. Polling an empty queue costs a second round trip
// per dequeue, which separate servers per queue never pay.
type Server struct {
	servers []*asynq.Server
}

// NewServer returns the servers on rdb with cancelsync's queues, retry policy
// and shutdown bound, sharing o.Concurrency between them. Run it with
// Start(worker.Handler()).
func NewServer(rdb redis.UniversalClient, o ServerOptions) *Server {
	policy := RetryPolicy{Retries: o.Retries}
	conf := func(queue string, i, concurrency int) asynq.Config {
		return asynq.Config{
			Concurrency:              max(concurrency, 1),
			Queues:                   map[string]int{queue: 1},
			RetryDelayFunc:           policy.Delay,
			ErrorHandler:             failureLog{o.Logger},
			ShutdownTimeout:          o.ShutdownTimeout,
			DelayedTaskCheckInterval: o.TimerResolution,
			TaskCheckInterval:        idlePoll(queue, i), // poll.go
			Logger:                   asynqLogger{o.Logger},
			LogLevel:                 asynq.WarnLevel,
		}
	}
	syncs := max(o.Concurrency/5, 1)
	events := max(o.Concurrency-syncs, 1)
	loops := min(max(events/workersPerDequeuer, 1), maxDequeuers)
	srv := &Server{}
	for i := range loops {
		// The first servers take the remainder, so the shares add up.
		n := events / loops
		if i < events%loops {
			n++
		}
		srv.servers = append(srv.servers, asynq.NewServerFromRedisClient(rdb, conf(tasks.QueueEvents, i, n)))
	}
	srv.servers = append(srv.servers, asynq.NewServerFromRedisClient(rdb, conf(tasks.QueueSync, 0, syncs)))
	return srv
}

// Start starts every server with h; on an error it stops those it started.
func (s *Server) Start(h asynq.Handler) error {
	for i, srv := range s.servers {
		if err := srv.Start(h); err != nil {
			for _, started := range s.servers[:i] {
				started.Shutdown()
			}
			return err
		}
	}
	return nil
}

// Shutdown stops every server side by side, each within ShutdownTimeout:
// in-flight tasks finish or go back to their queue.
func (s *Server) Shutdown() {
	var wg sync.WaitGroup
	for _, srv := range s.servers {
		wg.Go(srv.Shutdown)
	}
	wg.Wait()
}

// RetryPolicy decides how long a failed task waits before its next attempt.
type RetryPolicy struct {
	Retries map[string]Retry
	// RetryOf, when set, replaces Retries (a live adapter set's lookup).
	RetryOf func(adapterID string) (Retry, bool)
	// Rand returns a number in [0, n); default math/rand/v2.
	Rand func(n int64) int64
}

// Delay is an asynq.RetryDelayFunc. A task fails only when Redis does (a
// sync's push failures are recorded and scheduled by the Syncer), so every
// task backs off from 1 s to 1 min.
func (p RetryPolicy) Delay(n int, err error, t *asynq.Task) time.Duration {
	return p.backoff(n, Retry{BaseDelay: time.Second, MaxDelay: time.Minute})
}

// forSync is the delay before retry n+1 of an adapter's sync that failed with err.
func (p RetryPolicy) forSync(adapterID string, n int, err error) time.Duration {
	r, ok := p.Retries[adapterID]
	if p.RetryOf != nil {
		r, ok = p.RetryOf(adapterID)
	}
	if !ok {
		r = Retry{BaseDelay: time.Second, MaxDelay: time.Minute}
	}
	d := p.backoff(n, r)
	var se *adapters.SyncError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = min(se.RetryAfter, r.MaxDelay)
	}
	return d
}

// backoff is base + rand[0, min(max, base·2^n) − base]: the ceiling doubles
// with each retry (n counts from 0) and the wait never drops below base.
func (p RetryPolicy) backoff(n int, r Retry) time.Duration {
	base, ceil := r.BaseDelay, r.BaseDelay
	for i := 0; i < n && ceil < r.MaxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, r.MaxDelay)
	if ceil <= base {
		return base
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	return base + time.Duration(rnd(int64(ceil-base)+1))
}

// failureLog is the servers' asynq.ErrorHandler: every failed run of a
// task is logged with its id (as asynqmon shows it), type and adapter, and
// whether Asynq retries it or archives it.
type failureLog struct{ l *slog.Logger }

func (f failureLog) HandleError(ctx context.Context, t *asynq.Task, err error) {
	log := f.l
	if log == nil {
		log = slog.Default()
	}
	var p struct {
		AdapterID string `json:"a"`
	}
	_ = json.Unmarshal(t.Payload(), &p)
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	log.ErrorContext(ctx, "task failed", slog.String("task_id", id), slog.String("type", t.Type()),
		slog.String("adapter", p.AdapterID), slog.Int("retried", retried), slog.Int("max_retry", maxRetry),
		slog.Bool("archived", retried >= maxRetry || errors.Is(err, asynq.SkipRetry)), slog.String("error", err.Error()))
}

// asynqLogger sends Asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) logger() *slog.Logger {
	if a.l == nil {
		return slog.Default()
	}
	return a.l.With(slog.String("component", "asynq"))
}
func (a asynqLogger) Debug(args ...any) { a.logger().Debug(sprint(args)) }
func (a asynqLogger) Info(args ...any)  { a.logger().Info(sprint(args)) }
func (a asynqLogger) Warn(args ...any)  { a.logger().Warn(sprint(args)) }
func (a asynqLogger) Error(args ...any) { a.logger().Error(sprint(args)) }
func (a asynqLogger) Fatal(args ...any) { a.logger().Error(sprint(args)) }

func sprint(args []any) string {
	return fmt.Sprint(args...)
}
