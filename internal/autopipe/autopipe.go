// Package autopipe sends the Redis commands that many goroutines issue at
// the same time as one pipeline: while one batch is on the wire, the
// commands that arrive meanwhile gather into the next, and the first of
// their callers sends them when it returns. Nothing waits for a timer, so an
// idle process sends each command at once, as before; a busy one pays one
// write and one read system call (on both sides) per batch instead of per
// command, which on a small machine is most of what a Redis round trip
// costs (BENCHMARKS.md).
//
// It is a go-redis hook: every command of the hooked client that Batchable
// accepts goes through it, including Asynq's scripts when Asynq shares the
// client. The pipelines run on a second client without the hook. A command
// keeps its semantics: each caller still waits for its own reply, and one
// goroutine's commands still run in the order it issued them; commands of
// different goroutines never had an order. Transactions (WATCH, MULTI) and
// blocking commands are not batched.
package autopipe

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batchable reports whether a command may share a pipeline with others:
// short, non-blocking commands and scripts.
func Batchable(name string) bool {
	switch name {
	case "evalsha", "eval", "evalsha_ro", "eval_ro", "get", "set", "exists", "del", "incr", "lpush", "rpush", "hget", "hset", "ping":
		return true
	}
	return false
}

// Hook batches the commands of the client it is added to. Commands whose
// context has a deadline (an ingest request's enqueue, a probe) gather in
// one lane and those without (Asynq's background loops) in another, so
// that a batch can honour its callers' deadlines: a deadline lane's batch
// runs until the latest deadline among its commands, and a stalled Redis
// fails it then instead of after the client's timeouts and retries. A
// batch without deadlines is bounded by the client's read and write
// timeouts.
type Hook struct {
	exec  func(ctx context.Context, cmds []redis.Cmder) error
	lanes [2]lane // 0: no deadline, 1: with a deadline
}

type lane struct {
	mu      sync.Mutex
	open    *batch // gathering; nil when none
	sending bool   // a batch is on the wire
}

type batch struct {
	cmds     []redis.Cmder
	deadline time.Time     // the latest of its commands' deadlines; zero in the no-deadline lane
	done     chan struct{} // closed when every reply is in
	lead     chan struct{} // tells one waiter to send this batch
}

// New returns a hook whose pipelines run on via, a client that must not
// have the hook itself (it would batch its own batches).
func New(via redis.UniversalClient) *Hook {
	return &Hook{exec: func(ctx context.Context, cmds []redis.Cmder) error {
		p := via.Pipeline()
		for _, c := range cmds {
			_ = p.Process(ctx, c)
		}
		_, err := p.Exec(ctx)
		return err
	}}
}

// DialHook implements redis.Hook.
func (h *Hook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessPipelineHook implements redis.Hook: pipelines stay as they are.
func (h *Hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// ProcessHook implements redis.Hook.
func (h *Hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !Batchable(cmd.Name()) {
			return next(ctx, cmd)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		dl, ok := ctx.Deadline()
		if ok {
			return h.lanes[1].do(h, dl, cmd)
		}
		return h.lanes[0].do(h, time.Time{}, cmd)
	}
}

func (l *lane) do(h *Hook, deadline time.Time, cmd redis.Cmder) error {
	l.mu.Lock()
	b := l.open
	if b == nil {
		b = &batch{done: make(chan struct{}), lead: make(chan struct{}, 1)}
		l.open = b
	}
	b.cmds = append(b.cmds, cmd)
	if deadline.After(b.deadline) {
		b.deadline = deadline
	}
	if !l.sending {
		l.sending, l.open = true, nil
		l.mu.Unlock()
		l.send(h, b)
		return cmd.Err()
	}
	l.mu.Unlock()
	select {
	case <-b.done:
	case <-b.lead:
		l.send(h, b)
	}
	return cmd.Err()
}

// send runs b, then hands the batch that gathered meanwhile to one of its
// own callers, so that no caller waits for more than two batches.
func (l *lane) send(h *Hook, b *batch) {
	// The batch must not fail the others when one command's context ends
	// first, so it runs until the latest deadline among them (none in the
	// no-deadline lane, where the client's read and write timeouts bound
	// it). go-redis sets every command's own reply or error, including a
	// connection's failure on all of them; the batch's error adds nothing.
	ctx := context.Background()
	if !b.deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, b.deadline)
		defer cancel()
	}
	_ = h.exec(ctx, b.cmds)
	close(b.done)
	l.mu.Lock()
	next := l.open
	if next == nil {
		l.sending = false
		l.mu.Unlock()
		return
	}
	l.open = nil
	l.mu.Unlock()
	next.lead <- struct{}{}
}

var _ redis.Hook = (*Hook)(nil)
