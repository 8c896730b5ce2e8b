package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// The dead letter's size reads 0 on a Redis that has never seen a dead
// letter (no record, and no sync queue in Asynq yet), so the gauge is
// there from the first scrape, and it fails rather than reads 0 when
// Redis does not answer. (That it counts exactly past Asynq's archive cap:
// TestDeadLetterHasNoSizeCap.)
func TestDeadLetterSizeBeforeTheSyncQueueExists(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	d := syncback.NewDeadLetters(tasks.NewQueue(rdb, time.Hour), orderstore.NewStore(rdb))

	n, err := d.Size(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("Size on an empty Redis = %d, %v; want 0, nil", n, err)
	}
	if got := testutil.CollectAndCount(NewDeadLetterCollector(d), "cancelsync_dead_letter_size"); got != 1 {
		t.Fatalf("cancelsync_dead_letter_size series on an empty Redis: %d, want 1", got)
	}

	mr.Close()
	if n, err := d.Size(context.Background()); err == nil {
		t.Fatalf("Size with Redis down = %d, nil; want an error", n)
	}
}
