package jobs

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// failScripts is a go-redis hook that fails the next n runs of the
// store's compare-and-set as a Redis restart does: the command never ran.
// Asynq's own scripts on the same client pass.
type failScripts struct{ n atomic.Int32 }

func (f *failScripts) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *failScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if isCAS(cmd) && f.n.Add(-1) >= 0 {
			err := errors.New("EOF (test: Redis restarted)")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f *failScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

var _ redis.Hook = (*failScripts)(nil)

// isCAS reports whether cmd runs the store's compare-and-set: the one
// script whose first key is an order's document (the sync lock's script
// names the lock first).
func isCAS(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 4 || cmd.Name() != "evalsha" && cmd.Name() != "eval" {
		return false
	}
	key, _ := args[3].(string)
	return strings.HasPrefix(key, orderKey("", "")[:len("cancelsync:order:")])
}

// TestAckNotStoredIsSyncedAgain: the decision's own (inline) sync reaches
// the platform, but storing the acknowledgement fails (Redis restarting).
// The task that decided must then queue the sync, which pushes the version
// again under the same Idempotency-Key and records it: the version never
// sits unsynced with no task to send it.
func TestAckNotStoredIsSyncedAgain(t *testing.T) {
	b := setup(t, setupOpts{})
	hook := &failScripts{}
	b.rdb.AddHook(hook)
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			hook.n.Store(1) // the acknowledgement's compare-and-set
		}
		return false
	})
	const ad = "t-selfservice"
	b.deliver(t, ad, snapshot("o-ack", platform.StatusPaid, placed.Add(time.Minute)))
	b.deliver(t, ad, request("o-ack", "r-ack", platform.Buyer))
	v := b.waitState(t, ad, "o-ack", platform.Cancelled, order.SyncSynced)
	if v.Sync.Version != 1 {
		t.Fatalf("synced version %d, want 1", v.Sync.Version)
	}
	puts := b.platform.received()
	if len(puts) != 2 {
		t.Fatalf("%d PUTs, want 2 (the inline one, then the queued sync)", len(puts))
	}
	if puts[0].IdempotencyKey != puts[1].IdempotencyKey || puts[0].Raw != puts[1].Raw {
		t.Fatalf("the second PUT is not the first again: %q vs %q", puts[0].IdempotencyKey, puts[1].IdempotencyKey)
	}
}
