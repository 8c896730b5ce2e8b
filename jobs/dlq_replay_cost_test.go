package jobs

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// TestReplayOfReadsTheDeadLetterOnce: the console's replay of one dead
// letter (DeadLetters.ReplayOf) adopts Asynq's archive and reads the entry
// once; Get then Replay, as it was, did both twice. Another adapter's id
// is orderstore.ErrNotFound and stays in the dead letter.
func TestReplayOfReadsTheDeadLetterOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	ctx := context.Background()
	b.platform.setScript(func(n int, w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadRequest); return true })
	for _, o := range []string{"o-rc1", "o-rc2"} {
		b.deliver(t, "t-selfservice", snapshot(o, platform.StatusPaid, placed))
		b.deliver(t, "t-selfservice", request(o, "cr-"+o, platform.Buyer))
		b.waitState(t, "t-selfservice", o, platform.Cancelled, order.SyncFailed)
	}
	var letters []orderstore.DeadLetter
	eventually(t, "dead letters", func() bool { letters, _ = b.dlq.List(ctx); return len(letters) == 2 })
	b.platform.setScript(nil)
	cmds := &ctxCommands{}
	b.rdb.AddHook(cmds)

	if _, err := b.dlq.ReplayOf(ctx, "t-other", letters[0].ID); !errors.Is(err, orderstore.ErrNotFound) {
		t.Fatalf("ReplayOf another adapter's id: %v, want orderstore.ErrNotFound", err)
	}
	if _, err := b.dlq.Get(ctx, letters[0].ID); err != nil {
		t.Fatalf("the other adapter's try removed the entry: %v", err)
	}

	before := cmds.mark()
	l, err := b.dlq.Get(before, letters[0].ID)
	if err != nil || l.Adapter != "t-selfservice" {
		t.Fatal(l, err)
	}
	if _, err := b.dlq.Replay(before, []string{letters[0].ID}); err != nil {
		t.Fatal(err)
	}
	after := cmds.mark()
	if l, err := b.dlq.ReplayOf(after, "t-selfservice", letters[1].ID); err != nil || l.ID != letters[1].ID {
		t.Fatalf("ReplayOf = %+v, %v", l, err)
	}
	was, now := cmds.of(before), cmds.of(after)
	t.Logf("Get+Replay: %d commands %v", len(was), was)
	t.Logf("ReplayOf:   %d commands %v", len(now), now)
	count := func(names []string, name string) (n int) {
		for _, c := range names {
			if c == name {
				n++
			}
		}
		return n
	}
	if n, queues := count(now, "zrangebyscore"), len(b.queue.Layout().SyncQueues()); n != queues {
		t.Errorf("ReplayOf read Asynq's archive %d times, want once per sync queue (%d)", n, queues)
	}
	if len(now) >= len(was) {
		t.Errorf("ReplayOf: %d commands, Get then Replay: %d", len(now), len(was))
	}
	for _, o := range []string{"o-rc1", "o-rc2"} {
		b.waitState(t, "t-selfservice", o, platform.Cancelled, order.SyncSynced)
	}
}

type ctxCommandsKey struct{}

// ctxCommands notes the commands issued on the contexts mark returned.
type ctxCommands struct {
	mu    sync.Mutex
	n     int
	names map[int][]string
}

func (h *ctxCommands) mark() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	return context.WithValue(context.Background(), ctxCommandsKey{}, h.n)
}

func (h *ctxCommands) of(ctx context.Context) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.names[ctx.Value(ctxCommandsKey{}).(int)]
}

func (h *ctxCommands) add(ctx context.Context, c redis.Cmder) {
	n, ok := ctx.Value(ctxCommandsKey{}).(int)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names == nil {
		h.names = map[int][]string{}
	}
	h.names[n] = append(h.names[n], c.Name())
}
func (h *ctxCommands) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *ctxCommands) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error { h.add(ctx, c); return next(ctx, c) }
}
func (h *ctxCommands) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error {
		for _, c := range cs {
			h.add(ctx, c)
		}
		return next(ctx, cs)
	}
}
