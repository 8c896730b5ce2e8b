package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

func TestSelfserviceCancelsAndSyncs(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.deliver(t, "t-selfservice", snapshot("o-1", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-1", "cr-1", platform.Buyer))

	v := b.waitState(t, "t-selfservice", "o-1", platform.Cancelled, order.SyncSynced)
	if v.Cancellation.Version != 1 || v.Cancellation.Refund == nil || v.Cancellation.Refund.Method != platform.OriginalPayment || v.Cancellation.Refund.Amount != "42.50" {
		t.Fatalf("cancellation = %+v", v.Cancellation)
	}
	if v.Sync.Attempts != 1 || v.Sync.Version != 1 || v.Sync.LastError != nil {
		t.Fatalf("sync = %+v", v.Sync)
	}
	puts := b.platform.received()
	if len(puts) != 1 {
		t.Fatalf("got %d PUTs, want 1", len(puts))
	}
	p := puts[0]
	if p.Path != "/orders/o-1/cancellation" || p.Auth != "Bearer tok-selfservice" || p.IdempotencyKey != "t-selfservice:cr-1:1" {
		t.Fatalf("PUT = %+v", p)
	}
	if p.Update.State != platform.Cancelled || p.Update.Version != 1 || p.Update.Reason != "changed_mind" {
		t.Fatalf("body = %s", p.Raw)
	}
}

func TestRequestWaitsForItsOrder(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.deliver(t, "t-poshmark", request("o-2", "cr-2", platform.Buyer))
	v := b.waitState(t, "t-poshmark", "o-2", platform.AwaitingOrder, "")
	if v.Order != nil || v.Sync != nil {
		t.Fatalf("awaiting view = %+v", v)
	}
	b.deliver(t, "t-poshmark", snapshot("o-2", platform.StatusPaid, placed))
	// Placed an hour before the request, within Poshmark's 3 h window.
	v = b.waitState(t, "t-poshmark", "o-2", platform.Cancelled, order.SyncSynced)
	if v.Cancellation.Version != 1 || v.Cancellation.Refund.Method != platform.PlatformCredit || v.History[2].Event != platform.CancellationRequested {
		t.Fatalf("view = %+v", v)
	}
}

func TestOrderWaitDeniesUnknownOrder(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{orderWait: 200 * time.Millisecond})
	b.deliver(t, "t-selfservice", request("o-3", "cr-3", platform.Buyer))
	v := b.waitState(t, "t-selfservice", "o-3", platform.Denied, order.SyncSynced)
	if v.Cancellation.DenialReason == nil || *v.Cancellation.DenialReason != platform.OrderUnknown || v.Cancellation.Version != 1 {
		t.Fatalf("cancellation = %+v", v.Cancellation)
	}
	// A snapshot arriving afterwards changes no decision.
	b.deliver(t, "t-selfservice", snapshot("o-3", platform.StatusPaid, placed))
	eventually(t, "snapshot stored", func() bool { return b.view(t, "t-selfservice", "o-3").Order != nil })
	if v := b.view(t, "t-selfservice", "o-3"); v.Cancellation.State != platform.Denied || v.Cancellation.Version != 1 {
		t.Fatalf("after late snapshot: %+v", v.Cancellation)
	}
}

func TestAliexpressDeadlineAutoApproves(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{windows: platform.Windows{ResponseWindow: 1500 * time.Millisecond}})
	b.deliver(t, "t-aliexpress", snapshot("o-4", platform.StatusPaid, placed))
	b.deliver(t, "t-aliexpress", request("o-4", "cr-4", platform.Buyer))
	v := b.waitState(t, "t-aliexpress", "o-4", platform.PendingResponse, order.SyncSynced)
	if v.Cancellation.RespondBy == nil || v.Cancellation.Version != 1 {
		t.Fatalf("pending = %+v", v.Cancellation)
	}
	v = b.waitState(t, "t-aliexpress", "o-4", platform.Cancelled, order.SyncSynced)
	if v.Cancellation.Version != 2 {
		t.Fatalf("auto-approved = %+v", v.Cancellation)
	}
	puts := b.platform.received()
	if len(puts) != 2 || puts[0].Update.Version != 1 || puts[1].Update.Version != 2 || puts[0].Update.RespondBy == nil {
		t.Fatalf("PUTs = %+v", puts)
	}
}

func TestFiverrDeclineEscalatesAndOwnSideIsIgnored(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.deliver(t, "t-fiverr", snapshot("o-5", platform.StatusPaid, placed))
	// Workers take tasks in parallel: let the snapshot land first, so the
	// history below has one entry per webhook.
	eventually(t, "snapshot stored", func() bool {
		v, err := b.store.OrderView(context.Background(), b.adapters["t-fiverr"], "o-5")
		return err == nil && v.Order != nil
	})
	b.deliver(t, "t-fiverr", request("o-5", "cr-5", platform.Seller))
	b.waitState(t, "t-fiverr", "o-5", platform.PendingResponse, order.SyncSynced)
	b.deliver(t, "t-fiverr", respond("o-5", "cr-5", platform.Seller, platform.Accept))
	eventually(t, "own-side response recorded", func() bool { return len(b.view(t, "t-fiverr", "o-5").History) == 3 })
	v := b.view(t, "t-fiverr", "o-5")
	if v.Cancellation.State != platform.PendingResponse || v.History[2].Note == nil || *v.History[2].Note != string(platform.OwnSideResponse) {
		t.Fatalf("after own-side response: %+v %+v", v.Cancellation, v.History)
	}
	b.deliver(t, "t-fiverr", respond("o-5", "cr-5", platform.Buyer, platform.Decline))
	v = b.waitState(t, "t-fiverr", "o-5", platform.Escalated, order.SyncSynced)
	if v.Cancellation.Version != 2 {
		t.Fatalf("escalated = %+v", v.Cancellation)
	}
}

func TestShippedAfterCancelIsAConflict(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.deliver(t, "t-selfservice", snapshot("o-6", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-6", "cr-6", platform.Buyer))
	b.waitState(t, "t-selfservice", "o-6", platform.Cancelled, order.SyncSynced)
	b.deliver(t, "t-selfservice", snapshot("o-6", platform.StatusShipped, placed.Add(time.Minute)))
	eventually(t, "conflict", func() bool { return b.view(t, "t-selfservice", "o-6").Conflict != nil })
	v := b.view(t, "t-selfservice", "o-6")
	if *v.Conflict != "shipped_after_cancel" || v.Cancellation.State != platform.Cancelled || v.Cancellation.Version != 1 || v.Order.Status != platform.StatusShipped {
		t.Fatalf("view = %+v", v)
	}
	if n := len(b.platform.received()); n != 1 {
		t.Fatalf("PUTs = %d, want 1", n)
	}
}

// TestHandlersAreIdempotent runs each handler twice on the same task and
// checks the second run changes nothing and queues nothing new.
func TestHandlersAreIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, queueSyncs: true})
	ctx := context.Background()
	run := func(ev platform.Event, id string) {
		d := tasks.Delivery{AdapterID: "t-aliexpress", WebhookID: id, ReceivedAt: time.Now(), Event: ev}
		payload, _ := json.Marshal(d)
		for range 2 {
			if err := b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(snapshot("o-7", platform.StatusPaid, placed), "w1")
	run(request("o-7", "cr-7", platform.Buyer), "w2")
	before, _ := b.rdb.Get(ctx, orderKey("t-aliexpress", "o-7")).Result()
	run(request("o-7", "cr-7", platform.Buyer), "w2")
	after, _ := b.rdb.Get(ctx, orderKey("t-aliexpress", "o-7")).Result()
	if before != after {
		t.Fatalf("second run changed the order:\n%s\n%s", before, after)
	}
	v := b.view(t, "t-aliexpress", "o-7")
	if v.Cancellation.Version != 1 || len(v.History) != 2 {
		t.Fatalf("view = %+v", v)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	pending, _ := ins.ListPendingTasks(tasks.QueueSync)
	scheduled, _ := ins.ListScheduledTasks(tasks.QueueEvents)
	if len(pending) != 1 || len(scheduled) != 1 {
		t.Fatalf("queued %d syncs and %d timers, want 1 and 1", len(pending), len(scheduled))
	}
	// A sync run twice pushes once.
	p, _ := json.Marshal(tasks.SyncPayload{AdapterID: "t-aliexpress", OrderID: "o-7", RequestID: "cr-7", Version: 1})
	for range 2 {
		if err := b.worker.handleSync(ctx, asynq.NewTask(tasks.TypeSync, p)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(b.platform.received()); n != 1 {
		t.Fatalf("PUTs = %d, want 1", n)
	}
}

func TestEnqueueDeduplicatesRacingDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	d := tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "msg_race", ReceivedAt: time.Now(), Event: snapshot("o-8", platform.StatusPaid, placed)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, dups := 0, 0
	for range 32 {
		wg.Go(func() {
			dup, err := b.queue.Enqueue(context.Background(), d)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case dup:
				dups++
			default:
				accepted++
			}
		})
	}
	wg.Wait()
	if accepted != 1 || dups != 31 {
		t.Fatalf("accepted %d, duplicates %d", accepted, dups)
	}
	// The task's handler remembers the id before the task completes, with
	// the change it stores; a re-run that stores nothing (its change is
	// there already) remembers it on its own. The remembered id outlives the
	// task.
	ctx := context.Background()
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	key := orderstore.DeliveryKey(d.AdapterID, d.WebhookID)
	for run := range 2 {
		if run == 1 {
			b.rdb.Del(ctx, key) // as if an older build had stored the change without it
		}
		if err := b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
			t.Fatal(err)
		}
		if ttl, err := b.rdb.PTTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > b.queue.DedupWindow {
			t.Errorf("run %d: remembered for %v (%v), want the dedup window %v", run, ttl, err, b.queue.DedupWindow)
		}
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	if err := ins.DeleteTask(tasks.QueueEvents, tasks.EventTaskID("t-selfservice", "msg_race")); err != nil {
		t.Fatal(err)
	}
	if dup, err := b.queue.Enqueue(ctx, d); err != nil || !dup {
		t.Fatalf("after task completed: dup=%v err=%v", dup, err)
	}
	// Another adapter may reuse the id.
	d.AdapterID = "t-poshmark"
	if dup, err := b.queue.Enqueue(context.Background(), d); err != nil || dup {
		t.Fatalf("other adapter: dup=%v err=%v", dup, err)
	}
}

func TestEnqueueFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	b.mr.Close()
	d := tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "msg_down", ReceivedAt: time.Now(), Event: snapshot("o-9", platform.StatusPaid, placed)}
	if _, err := b.queue.Enqueue(context.Background(), d); err == nil {
		t.Fatal("enqueue succeeded with Redis down")
	}
}

func TestSyncRetriesThenSucceeds(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{retry: syncback.Retry{MaxAttempts: 5, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		if n < 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	b.deliver(t, "t-selfservice", snapshot("o-10", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-10", "cr-10", platform.Buyer))
	v := b.waitState(t, "t-selfservice", "o-10", platform.Cancelled, order.SyncSynced)
	if v.Sync.Attempts != 3 || len(b.platform.received()) != 3 {
		t.Fatalf("sync = %+v after %d PUTs", v.Sync, len(b.platform.received()))
	}
}

func TestPermanentFailureGoesToDeadLetterAndReplays(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"nope"}`))
		return true
	})
	b.deliver(t, "t-selfservice", snapshot("o-11", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-11", "cr-11", platform.Buyer))
	v := b.waitState(t, "t-selfservice", "o-11", platform.Cancelled, order.SyncFailed)
	if v.Sync.Attempts != 1 || v.Sync.LastError == nil {
		t.Fatalf("sync = %+v", v.Sync)
	}
	ctx := context.Background()
	var letters []orderstore.DeadLetter
	eventually(t, "dead letter", func() bool { letters, _ = b.dlq.List(ctx); return len(letters) == 1 })
	l := letters[0]
	if l.Adapter != "t-selfservice" || l.OrderID != "o-11" || l.RequestID != "cr-11" || l.Version != 1 || l.Attempts != 1 || l.FailedAt.IsZero() {
		t.Fatalf("dead letter = %+v", l)
	}
	b.platform.setScript(nil)
	if _, err := b.dlq.Replay(ctx, []string{l.ID}); err != nil {
		t.Fatal(err)
	}
	b.waitState(t, "t-selfservice", "o-11", platform.Cancelled, order.SyncSynced)
	if letters, _ := b.dlq.List(ctx); len(letters) != 0 {
		t.Fatalf("dead letter after replay = %+v", letters)
	}
}

func TestExhaustedRetriesGoToDeadLetter(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{retry: syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	b.platform.setScript(func(n int, w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadGateway); return true })
	b.deliver(t, "t-selfservice", snapshot("o-12", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-12", "cr-12", platform.Buyer))
	v := b.waitState(t, "t-selfservice", "o-12", platform.Cancelled, order.SyncFailed)
	if v.Sync.Attempts != 3 || len(b.platform.received()) != 3 {
		t.Fatalf("sync = %+v after %d PUTs", v.Sync, len(b.platform.received()))
	}
	var letters []orderstore.DeadLetter
	eventually(t, "dead letter", func() bool { letters, _ = b.dlq.List(context.Background()); return len(letters) == 1 })
	if letters[0].Attempts != 3 {
		t.Fatalf("dead letter = %+v", letters[0])
	}
}

func TestOldVersionIsNeverSentAfterANewerAck(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, queueSyncs: true})
	ctx := context.Background()
	run := func(ev platform.Event) {
		payload, _ := json.Marshal(tasks.Delivery{AdapterID: "t-aliexpress", WebhookID: nextWebhookID(), ReceivedAt: time.Now(), Event: ev})
		if err := b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
			t.Fatal(err)
		}
	}
	sync := func(v int64) {
		p, _ := json.Marshal(tasks.SyncPayload{AdapterID: "t-aliexpress", OrderID: "o-13", RequestID: "cr-13", Version: v})
		if err := b.worker.handleSync(ctx, asynq.NewTask(tasks.TypeSync, p)); err != nil {
			t.Fatal(err)
		}
	}
	run(snapshot("o-13", platform.StatusPaid, placed))
	run(request("o-13", "cr-13", platform.Buyer))                   // v1 pending
	run(respond("o-13", "cr-13", platform.Seller, platform.Accept)) // v2 cancelled
	sync(2)
	sync(1) // the retry of v1 arrives late
	puts := b.platform.received()
	if len(puts) != 1 || puts[0].Update.Version != 2 || puts[0].Update.State != platform.Cancelled {
		t.Fatalf("PUTs = %+v", puts)
	}
	if v := b.view(t, "t-aliexpress", "o-13"); v.Sync.State != order.SyncSynced || v.Sync.Version != 2 {
		t.Fatalf("sync = %+v", v.Sync)
	}
}

var _ = strconv.Itoa

// TestSnapshotAndRequestInOneDelivery covers platforms whose cancellation is
// a status change of the order: one delivery carries both, applied in order.
func TestSnapshotAndRequestInOneDelivery(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	ev := snapshot("o-14", platform.StatusPaid, placed)
	ev.Cancellation = request("o-14", "cr-14", platform.Merchant).Cancellation
	b.deliver(t, "t-selfservice", ev)
	v := b.waitState(t, "t-selfservice", "o-14", platform.Cancelled, order.SyncSynced)
	if v.Cancellation.Version != 1 || len(v.History) != 2 || v.Order == nil {
		t.Fatalf("view = %+v", v)
	}
}

// TestSecondRequestAfterCancelIsDenied: an order we cancelled counts as
// cancelled before the platform's own snapshot says so — no second refund.
func TestSecondRequestAfterCancelIsDenied(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	for i, ev := range []platform.Event{
		snapshot("o-15", platform.StatusPaid, placed),
		request("o-15", "cr-15a", platform.Buyer),
		request("o-15", "cr-15b", platform.Merchant),
	} {
		payload, _ := json.Marshal(tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "w15-" + strconv.Itoa(i), ReceivedAt: time.Now(), Event: ev})
		if err := b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
			t.Fatal(err)
		}
	}
	v := b.view(t, "t-selfservice", "o-15")
	if v.Cancellation.RequestID != "cr-15a" || len(v.Requests) != 2 {
		t.Fatalf("view shows %+v of %d requests, want the cancelling cr-15a", v.Cancellation, len(v.Requests))
	}
	c := v.Requests[0]
	if c.RequestID != "cr-15b" || c.State != platform.Denied || c.DenialReason == nil || *c.DenialReason != platform.AlreadyCancelled || c.Version != 2 {
		t.Fatalf("second request = %+v", c)
	}
}
