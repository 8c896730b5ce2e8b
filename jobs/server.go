package jobs

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/tasks"
)

// ServerOptions configure the Asynq server that runs a Worker.
type ServerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	// TimerResolution is how often due timers and retries are moved onto
	// the queue (Asynq's DelayedTaskCheckInterval, default 5 s there).
	TimerResolution time.Duration
	Logger          *slog.Logger
}

// One Asynq server dequeues one task at a time, one Redis round trip each,
// so on a loaded machine its dequeue loop, not the handlers, bounds the
// tasks per second (some 7,000/s idle, far fewer when the CPUs are busy).
// So the events queue gets one server, with its own loop, per
// workersPerDequeuer of its workers (at most maxDequeuers); the autopipe
// hook sends their round trips together. Measured: 3 loops instead of 1
// bought a third more cancellations per second, 6 a little more again.
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
	// On a cluster every server serves every shard of its kind, with
	// equal priority (tasks.Shards).
	layout := tasks.LayoutOf(rdb)
	conf := func(sync bool, i, concurrency int) asynq.Config {
		queues := map[string]int{}
		names := layout.EventsQueues()
		if sync {
			names = layout.SyncQueues()
		}
		for _, q := range names {
			queues[q] = 1
		}
		return asynq.Config{
			Concurrency:              max(concurrency, 1),
			Queues:                   queues,
			RetryDelayFunc:           taskRetryDelay, // retry.go
			ErrorHandler:             failureLog{o.Logger},
			ShutdownTimeout:          o.ShutdownTimeout,
			DelayedTaskCheckInterval: o.TimerResolution,
			TaskCheckInterval:        idlePoll(sync, i), // poll.go
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
		srv.servers = append(srv.servers, asynq.NewServerFromRedisClient(rdb, conf(false, i, n)))
	}
	srv.servers = append(srv.servers, asynq.NewServerFromRedisClient(rdb, conf(true, 0, syncs)))
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
