package autopipe_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/autopipe"
)

// countingHook counts the pipelines its client sends, and the single
// commands that could have been batched (go-redis's connection handshake
// also goes through ProcessHook).
type countingHook struct{ pipelines, singles atomic.Int64 }

func (c *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if autopipe.Batchable(cmd.Name()) {
			c.singles.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.pipelines.Add(1); return next(ctx, cmds) }
}

func setup(t *testing.T) (*miniredis.Miniredis, *redis.Client, *countingHook) {
	t.Helper()
	mr := miniredis.RunT(t)
	opt := &redis.Options{Addr: mr.Addr(), DialerRetries: 1, DialerRetryTimeout: time.Millisecond, MaxRetries: -1}
	rdb, via := redis.NewClient(opt), redis.NewClient(opt)
	counts := &countingHook{}
	via.AddHook(counts)
	rdb.AddHook(autopipe.New(via))
	t.Cleanup(func() { _ = rdb.Close(); _ = via.Close() })
	return mr, rdb, counts
}

var incrBy = redis.NewScript(`return redis.call("INCRBY", KEYS[1], ARGV[1])`)

// TestConcurrentCommandsKeepTheirOwnReplies: many goroutines' commands go
// out in shared pipelines, and each caller gets exactly its own reply or
// error, including redis.Nil for a missing key next to keys that exist.
func TestConcurrentCommandsKeepTheirOwnReplies(t *testing.T) {
	t.Parallel()
	_, rdb, counts := setup(t)
	ctx := context.Background()
	const workers, each = 32, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("k:%d:%d", w, i)
				if err := rdb.Set(ctx, key, key, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				if got, err := rdb.Get(ctx, key).Result(); err != nil || got != key {
					t.Errorf("get %s = %q, %v", key, got, err)
					return
				}
				if _, err := rdb.Get(ctx, key+":missing").Result(); !errors.Is(err, redis.Nil) {
					t.Errorf("get missing: %v", err)
					return
				}
				if err := incrBy.Run(ctx, rdb, []string{"total"}, 1).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n, _ := rdb.Get(ctx, "total").Int(); n != workers*each {
		t.Fatalf("total = %d, want %d", n, workers*each)
	}
	if p, s := counts.pipelines.Load(), counts.singles.Load(); p == 0 || s != 0 {
		t.Fatalf("%d pipelines and %d single commands on the pipelining client", p, s)
	}
	if p := counts.pipelines.Load(); p >= workers*each*4 {
		t.Logf("no batching happened: %d pipelines for %d commands", p, workers*each*4)
	}
}

// TestOtherCommandsPassThrough: commands outside Batchable (here a
// transaction) go out as they did without the hook.
func TestOtherCommandsPassThrough(t *testing.T) {
	t.Parallel()
	_, rdb, counts := setup(t)
	ctx := context.Background()
	err := rdb.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "1", 0)
			return nil
		})
		return err
	}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got := rdb.Get(ctx, "a").Val(); got != "1" {
		t.Fatalf("a = %q", got)
	}
	if n := counts.singles.Load(); n != 0 {
		t.Fatalf("%d commands went through the pipelining client unbatched", n)
	}
}

// TestConnectionFailureReachesEveryCaller: when Redis is gone, each batched
// caller gets an error, none a reply.
func TestConnectionFailureReachesEveryCaller(t *testing.T) {
	t.Parallel()
	mr, rdb, _ := setup(t)
	mr.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 8 {
		wg.Go(func() {
			if rdb.Set(ctx, "x", "1", 0).Err() == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 0 {
		t.Fatalf("%d writes succeeded with Redis down", ok.Load())
	}
}
