// Package autopipe sends the Redis commands that many goroutines issue at
// the same time as one pipeline: while one batch is on the wire, the
// commands that arrive meanwhile gather into the next, and the first of
// their callers sends them when it returns. Nothing waits for a timer, so an
// idle process sends each command at once, as before; a busy one pays one
// write and one read system call (on both sides) per batch instead of per
// command, which on a small machine is most of what a Redis round trip
// costs.
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

// Hook batches the commands of the client it is added to. A batch honours
// its callers' deadlines: it runs until the earliest of them, and never
// longer than MaxBatch, so a stalled Redis fails it then instead of after
// the client's timeouts and retries, and a caller never waits for more than
// the batch on the wire (at most MaxBatch) and its own (at most its
// deadline). A command whose context has no deadline is bounded by
// MaxBatch alone.
type Hook struct {
	exec func(ctx context.Context, cmds []redis.Cmder) error

	mu      sync.Mutex
	open    *batch // gathering; nil when none
	sending bool   // a batch is on the wire
}

// MaxBatch bounds one batch on the wire, like a client's read and write
// timeouts bound one command.
const MaxBatch = 3 * time.Second

type batch struct {
	cmds     []redis.Cmder
	deadline time.Time     // the earliest of its commands' deadlines; zero when none has one
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
		dl, _ := ctx.Deadline()
		return h.do(dl, cmd)
	}
}

func (h *Hook) do(deadline time.Time, cmd redis.Cmder) error {
	h.mu.Lock()
	b := h.open
	if b == nil {
		b = &batch{done: make(chan struct{}), lead: make(chan struct{}, 1)}
		h.open = b
	}
	b.cmds = append(b.cmds, cmd)
	if !deadline.IsZero() && (b.deadline.IsZero() || deadline.Before(b.deadline)) {
		b.deadline = deadline
	}
	if !h.sending {
		h.sending, h.open = true, nil
		h.mu.Unlock()
		h.send(b)
		return cmd.Err()
	}
	h.mu.Unlock()
	select {
	case <-b.done:
	case <-b.lead:
		h.send(b)
	}
	return cmd.Err()
}

// send runs b, then hands the batch that gathered meanwhile to one of its
// own callers, so that no caller waits for more than two batches.
func (h *Hook) send(b *batch) {
	// go-redis sets every command's own reply or error, including a
	// connection's failure or the batch's deadline on all of them; the
	// batch's error adds nothing.
	deadline := time.Now().Add(MaxBatch)
	if !b.deadline.IsZero() && b.deadline.Before(deadline) {
		deadline = b.deadline
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	_ = h.exec(ctx, b.cmds)
	cancel()
	close(b.done)
	h.mu.Lock()
	next := h.open
	if next == nil {
		h.sending = false
		h.mu.Unlock()
		return
	}
	h.open = nil
	h.mu.Unlock()
	next.lead <- struct{}{}
}

var _ redis.Hook = (*Hook)(nil)
