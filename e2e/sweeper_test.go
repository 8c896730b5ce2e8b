package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/tasks"
)

// TestSweeperRequeuesALostSync loses a sync on purpose: the platform
// answers the first PUT 503 (Retry-After: 3), and the retry task that the
// failure scheduled is deleted from Redis before it runs. The sweeper
// (sweep_every: 1s here, a minute by default) finds the version decided,
// unacknowledged and without a task, queues it again, and the platform gets
// the version once more and acknowledges it: two PUTs in all, one
// Idempotency-Key, the re-queue counted and logged with its order. An order
// synced normally beside it is not touched.
func TestSweeperRequeuesALostSync(t *testing.T) {
	t.Parallel()
	const adapter = "shop-sweep"
	answer := func(n int, p put, h http.Header) int {
		if p.OrderID == "LOST-1" && n == 0 {
			h.Set("Retry-After", "3")
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	r := newRig(t, answer, "sweep_every: 1s\n", adapterConf{id: adapter, platform: "selfservice",
		extra: "    retry: {max_attempts: 5, base_delay: 1s, max_delay: 10s}\n"})
	s := r.serve(t)

	rdb := redis.NewClient(&redis.Options{Addr: r.rs.Addr})
	defer rdb.Close()
	in := asynq.NewInspectorFromRedisClient(rdb)

	now := time.Now()
	s.acceptOrder(t, adapter, "LOST-1", "cr-lost", now)
	if !poll(20*time.Second, 20*time.Millisecond, func() bool { return len(r.p.received()) >= 1 }) {
		t.Fatal("no first PUT")
	}
	var deleted string
	if !poll(10*time.Second, 10*time.Millisecond, func() bool {
		scheduled, err := in.ListScheduledTasks(tasks.QueueSync)
		if err != nil || len(scheduled) == 0 {
			return false
		}
		if err := in.DeleteTask(tasks.QueueSync, scheduled[0].ID); err != nil {
			return false
		}
		deleted = scheduled[0].ID
		return true
	}) {
		t.Fatal("the retry was never scheduled")
	}
	t.Logf("deleted the scheduled retry %s", deleted)
	s.acceptOrder(t, adapter, "FINE-1", "cr-fine", now)

	s.waitFor(t, adapter, "LOST-1", "synced again by the sweeper", stateIs("cancelled", "synced"))
	s.waitFor(t, adapter, "FINE-1", "synced", stateIs("cancelled", "synced"))
	opsWaitMetric(t, s.url+"/metrics", `cancelsync_sync_resweeps_total{adapter="`+adapter+`"}`, 1)
	time.Sleep(1500 * time.Millisecond) // a round more: nothing else is re-queued
	if got := opsScrape(t, s.url+"/metrics")[`cancelsync_sync_resweeps_total{adapter="`+adapter+`"}`]; got != 1 {
		t.Fatalf("resweeps = %v after the order synced, want 1", got)
	}
	var lost, fine []put
	for _, p := range r.p.received() {
		switch p.OrderID {
		case "LOST-1":
			lost = append(lost, p)
		case "FINE-1":
			fine = append(fine, p)
		}
	}
	if len(lost) != 2 || lost[0].IdempotencyKey != lost[1].IdempotencyKey || lost[1].Body["version"] != float64(1) {
		t.Fatalf("LOST-1 PUTs: %+v, want v1 twice under one key", lost)
	}
	if len(fine) != 1 {
		t.Fatalf("FINE-1 got %d PUTs, want 1", len(fine))
	}
	if out := s.out.String(); !strings.Contains(out, `"msg":"sync re-queued by the sweeper"`) || !strings.Contains(out, `"order_id":"LOST-1","version":1`) {
		t.Fatalf("no log line of the re-queue naming LOST-1:\n%s", out)
	}
	s.stopClean(t)
}
