package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// runEvent runs the event handler on one delivery the way Asynq would.
func (b *bundle) runEvent(t *testing.T, adapterID, webhookID string, ev platform.Event) {
	t.Helper()
	payload, _ := json.Marshal(tasks.Delivery{AdapterID: adapterID, WebhookID: webhookID, ReceivedAt: time.Now(), Event: ev})
	if err := b.worker.handleEvent(context.Background(), asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
		t.Fatal(err)
	}
}

// TestInlineSyncPushesOnceAndQueuesNothing: the task that decides a state
// pushes it itself; running that task again (Asynq's at-least-once) pushes
// nothing more and queues no sync task.
func TestInlineSyncPushesOnceAndQueuesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	b.runEvent(t, "t-selfservice", "w1", snapshot("o-in1", platform.StatusPaid, placed))
	for range 2 {
		b.runEvent(t, "t-selfservice", "w2", request("o-in1", "cr-in1", platform.Buyer))
	}
	puts := b.platform.received()
	if len(puts) != 1 || puts[0].Update.Version != 1 || puts[0].Update.State != platform.Cancelled {
		t.Fatalf("PUTs = %+v", puts)
	}
	if v := b.view(t, "t-selfservice", "o-in1"); v.Sync.State != order.SyncSynced || v.Sync.Attempts != 1 {
		t.Fatalf("sync = %+v", v.Sync)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	if pending, _ := ins.ListPendingTasks(tasks.QueueSync); len(pending) != 0 {
		t.Fatalf("queued %d sync tasks, want none", len(pending))
	}
	if lockHeld(b.rdb, "t-selfservice", "o-in1") {
		t.Fatal("sync lock left behind")
	}
}

// TestInlineSyncLeavesABusyOrderToTheTask: when another sync of the order
// holds its lock, the deciding task does not wait for it; it queues the
// sync task as without inline syncs, and that task pushes once the lock is
// free.
func TestInlineSyncLeavesABusyOrderToTheTask(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	b.runEvent(t, "t-selfservice", "w1", snapshot("o-in2", platform.StatusPaid, placed))
	plantLock(t, b.rdb, "t-selfservice", "o-in2", "someone-else", time.Minute)
	b.runEvent(t, "t-selfservice", "w2", request("o-in2", "cr-in2", platform.Buyer))
	if n := len(b.platform.received()); n != 0 {
		t.Fatalf("pushed %d times while the order's sync lock was held", n)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	pending, _ := ins.ListPendingTasks(tasks.QueueSync)
	if len(pending) != 1 {
		t.Fatalf("queued %d sync tasks, want 1", len(pending))
	}
	dropLock(t, b.rdb, "t-selfservice", "o-in2")
	if err := b.worker.handleSync(ctx, asynq.NewTask(tasks.TypeSync, pending[0].Payload)); err != nil {
		t.Fatal(err)
	}
	if puts := b.platform.received(); len(puts) != 1 || puts[0].Update.Version != 1 {
		t.Fatalf("PUTs = %+v", puts)
	}
}

// TestInlineSyncFailureQueuesTheRest: a first attempt that fails is
// recorded as attempt 1 on the order, and the sync task it schedules is
// attempt 2 of that version.
func TestInlineSyncFailureQueuesTheRest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, retry: syncback.Retry{MaxAttempts: 4, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	b.platform.setScript(func(n int, w http.ResponseWriter) bool { w.WriteHeader(http.StatusServiceUnavailable); return true })
	b.runEvent(t, "t-selfservice", "w1", snapshot("o-in3", platform.StatusPaid, placed))
	b.runEvent(t, "t-selfservice", "w2", request("o-in3", "cr-in3", platform.Buyer))
	v := b.view(t, "t-selfservice", "o-in3")
	if v.Sync.State != order.SyncPending || v.Sync.Attempts != 1 || v.Sync.LastError == nil {
		t.Fatalf("sync = %+v", v.Sync)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	scheduled, _ := ins.ListScheduledTasks(tasks.QueueSync)
	if len(scheduled) != 1 || scheduled[0].ID != tasks.SyncTaskID("t-selfservice", "o-in3", 1, 0, 2) {
		t.Fatalf("scheduled sync tasks = %+v, want attempt 2 of v1", scheduled)
	}
	var p tasks.SyncPayload
	if err := json.Unmarshal(scheduled[0].Payload, &p); err != nil || p.Dead != nil || p.Version != 1 {
		t.Fatalf("payload = %+v (%v)", p, err)
	}
}
