package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// Regression tests, each on a real redis-server: every one
// failed on the code before the Syncer (docs/GUARANTEES.md).

func (b *bundle) runEventOK(t *testing.T, adapterID string, ev platform.Event) {
	t.Helper()
	payload, _ := json.Marshal(tasks.Delivery{AdapterID: adapterID, WebhookID: nextWebhookID(), ReceivedAt: time.Now(), Event: ev})
	if err := b.worker.handleEvent(context.Background(), asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
		t.Fatal(err)
	}
}

// TestManyRequestsNoneLostNoSecondRefund: an order gets more requests than
// the document keeps. Every one is decided and synced, the first one's
// cancellation holds (every later one is denied already_cancelled, none
// refunds again), the view shows the cancelling request, and the
// document stays bounded.
func TestManyRequestsNoneLostNoSecondRefund(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	b.runEventOK(t, "t-selfservice", snapshot("o-many", platform.StatusPaid, placed))
	const n = 3 * order.MaxRequests
	for i := range n {
		b.runEventOK(t, "t-selfservice", request("o-many", fmt.Sprintf("cr-%02d", i), platform.Buyer))
	}
	puts := b.platform.received()
	if len(puts) != n {
		t.Fatalf("%d PUTs, want one per request (%d)", len(puts), n)
	}
	cancelled := 0
	for i, p := range puts {
		if p.Update.Version != int64(i+1) {
			t.Fatalf("PUT %d has version %d", i, p.Update.Version)
		}
		if p.Update.State == platform.Cancelled {
			cancelled++
		} else if p.Update.DenialReason != platform.AlreadyCancelled {
			t.Fatalf("PUT %d: %+v, want denied already_cancelled", i, p.Update)
		}
	}
	if cancelled != 1 {
		t.Fatalf("%d cancellations (refunds), want 1", cancelled)
	}
	v := b.view(t, "t-selfservice", "o-many")
	if v.Cancellation.RequestID != "cr-00" || v.Cancellation.State != platform.Cancelled {
		t.Fatalf("view shows %+v, want the cancelling cr-00", v.Cancellation)
	}
	// The view lists the newest 50 requests, newest first (docs/API.md),
	// even though the cancelling cr-00 is kept in the document too.
	if len(v.Requests) != order.MaxViewRequests {
		t.Fatalf("view lists %d requests, want %d", len(v.Requests), order.MaxViewRequests)
	}
	for i, r := range v.Requests {
		if want := fmt.Sprintf("cr-%02d", n-1-i); r.RequestID != want {
			t.Fatalf("requests[%d] = %s, want %s", i, r.RequestID, want)
		}
	}
	if v.Sync.State != order.SyncSynced || v.Sync.Version != n {
		t.Fatalf("sync = %+v", v.Sync)
	}
}

// TestUnacknowledgedRequestsAreNeverCompacted: while the platform is down
// no state is acknowledged, so however many requests arrive none is
// dropped; once it is up, every one is delivered.
func TestUnacknowledgedRequestsAreNeverCompacted(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true, retry: syncback.Retry{MaxAttempts: 4 * order.MaxRequests, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	var down atomic.Bool
	down.Store(true)
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	b.runEventOK(t, "t-selfservice", snapshot("o-down", platform.StatusPaid, placed))
	const n = order.MaxRequests + 5
	for i := range n {
		b.runEventOK(t, "t-selfservice", request("o-down", fmt.Sprintf("cr-%02d", i), platform.Buyer))
	}
	doc, err := b.store.Load(context.Background(), "t-selfservice", "o-down")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Requests) != n || len(doc.Unsent()) != n {
		t.Fatalf("%d requests kept, %d unsent; want all %d", len(doc.Requests), len(doc.Unsent()), n)
	}
	upAt := time.Now()
	down.Store(false)
	srv := NewServer(b.rdb, ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second, TimerResolution: 50 * time.Millisecond, Logger: quiet})
	if err := srv.Start(b.worker.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	eventually(t, "every version synced", func() bool {
		v := b.view(t, "t-selfservice", "o-down")
		return v.Sync.State == order.SyncSynced && v.Sync.Version == n
	})
	synced := map[int64]bool{}
	for _, p := range b.platform.received() {
		if p.At.After(upAt) {
			synced[p.Update.Version] = true
		}
	}
	if len(synced) != n {
		t.Fatalf("%d versions acknowledged, want %d", len(synced), n)
	}
}

// TestPermanentFailureDoesNotBlockLaterVersions: v1 is refused for good;
// it goes to the dead letter once, v2 is still sent, and replaying a
// later dead version never re-sends v1.
func TestPermanentFailureDoesNotBlockLaterVersions(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{real: true, retry: syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	var mu sync.Mutex
	refuse := map[int64]bool{1: true}
	b.platform.setScriptUpdate(func(u platform.Update, w http.ResponseWriter) bool {
		mu.Lock()
		defer mu.Unlock()
		if refuse[u.Version] {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return true
		}
		return false
	})
	b.deliver(t, "t-aliexpress", snapshot("o-perm", platform.StatusPaid, placed))
	b.deliver(t, "t-aliexpress", request("o-perm", "cr-perm", platform.Buyer))
	b.waitState(t, "t-aliexpress", "o-perm", platform.PendingResponse, order.SyncFailed)
	b.deliver(t, "t-aliexpress", respond("o-perm", "cr-perm", platform.Seller, platform.Accept))
	b.waitState(t, "t-aliexpress", "o-perm", platform.Cancelled, order.SyncSynced)
	versions := func() []int64 {
		var vs []int64
		for _, p := range b.platform.received() {
			vs = append(vs, p.Update.Version)
		}
		return vs
	}
	if vs := versions(); fmt.Sprint(vs) != "[1 2]" {
		t.Fatalf("PUT versions %v, want [1 2]", vs)
	}
	letters, _ := b.dlq.List(context.Background())
	if len(letters) != 1 || letters[0].Version != 1 || letters[0].Attempts != 1 {
		t.Fatalf("dead letter %+v, want v1 once", letters)
	}

	// Both versions of a second order are refused; replaying v2 sends v2 only.
	mu.Lock()
	refuse[1], refuse[2] = true, true
	mu.Unlock()
	b.deliver(t, "t-aliexpress", snapshot("o-perm2", platform.StatusPaid, placed))
	b.deliver(t, "t-aliexpress", request("o-perm2", "cr-perm2", platform.Buyer))
	b.waitState(t, "t-aliexpress", "o-perm2", platform.PendingResponse, order.SyncFailed)
	b.deliver(t, "t-aliexpress", respond("o-perm2", "cr-perm2", platform.Seller, platform.Accept))
	b.waitState(t, "t-aliexpress", "o-perm2", platform.Cancelled, order.SyncFailed)
	var v2 string
	eventually(t, "two dead letters of o-perm2", func() bool {
		letters, _ = b.dlq.List(context.Background())
		n := 0
		for _, l := range letters {
			if l.OrderID == "o-perm2" {
				n++
				if l.Version == 2 {
					v2 = l.ID
				}
			}
		}
		return n == 2
	})
	mu.Lock()
	clear(refuse)
	mu.Unlock()
	before := len(b.platform.received())
	if _, err := b.dlq.Replay(context.Background(), []string{v2}); err != nil {
		t.Fatal(err)
	}
	b.waitState(t, "t-aliexpress", "o-perm2", platform.Cancelled, order.SyncSynced)
	time.Sleep(200 * time.Millisecond)
	after := b.platform.received()[before:]
	if len(after) != 1 || after[0].Update.Version != 2 {
		t.Fatalf("replay of v2 sent %+v, want v2 alone", after)
	}
}

// TestWaitingForTheLockIsNotAnAttempt: with max_attempts 1, a sync that
// finds the order's sync locked (a crashed process's lock) waits as long
// as it takes, never reaches the dead letter, and syncs with one attempt.
func TestWaitingForTheLockIsNotAnAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{real: true, retry: syncback.Retry{MaxAttempts: 1, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	ctx := context.Background()
	plantLock(t, b.rdb, "t-selfservice", "o-busy", "crashed-holder", 2*time.Minute)
	b.deliver(t, "t-selfservice", snapshot("o-busy", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-busy", "cr-busy", platform.Buyer))
	b.waitState(t, "t-selfservice", "o-busy", platform.Cancelled, order.SyncPending)
	// Longer than the 10 s a sync used to wait for the lock before it
	// counted the wait as its one attempt and went to the dead letter.
	time.Sleep(11 * time.Second)
	if n, _ := b.dlq.Size(ctx); n != 0 {
		t.Fatalf("%d dead letters while waiting for the lock", n)
	}
	if v := b.view(t, "t-selfservice", "o-busy"); v.Sync.State != order.SyncPending || v.Sync.Attempts != 0 {
		t.Fatalf("sync while waiting = %+v", v.Sync)
	}
	dropLock(t, b.rdb, "t-selfservice", "o-busy")
	v := b.waitState(t, "t-selfservice", "o-busy", platform.Cancelled, order.SyncSynced)
	if v.Sync.Attempts != 1 || len(b.platform.received()) != 1 {
		t.Fatalf("sync = %+v after %d PUTs", v.Sync, len(b.platform.received()))
	}
}

// TestIdsWithColonsNeverCollide: order X:A with request B and order X with
// request A:B, same occurred_at, each get their own deadline timer.
func TestIdsWithColonsNeverCollide(t *testing.T) {
	t.Parallel()
	if orderstore.TaskID("timer", "deadline", "a", "X:A", "B", "1") == orderstore.TaskID("timer", "deadline", "a", "X", "A:B", "1") {
		t.Fatal("task ids collide")
	}
	b := setup(t, setupOpts{noServer: true, real: true})
	at := time.Now().UTC().Truncate(time.Second)
	for _, ids := range [][2]string{{"X:A", "B"}, {"X", "A:B"}} {
		b.runEventOK(t, "t-aliexpress", snapshot(ids[0], platform.StatusPaid, placed))
		ev := request(ids[0], ids[1], platform.Buyer)
		ev.Cancellation.OccurredAt = at
		b.runEventOK(t, "t-aliexpress", ev)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	tasks, err := ins.ListScheduledTasks(tasks.QueueEvents)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Fatalf("%d deadline timers, want 2", len(tasks))
	}
	for _, tk := range tasks {
		if prefix, _, _ := cutDash(tk.ID); prefix == "" {
			t.Fatalf("task id %q", tk.ID)
		}
	}
	a, _, _ := cutDash(tasks[0].ID)
	c, _, _ := cutDash(tasks[1].ID)
	if a == c {
		t.Fatalf("asynqmon would show both timers as %q", a)
	}
}

func cutDash(s string) (before, after string, found bool) {
	for i := range len(s) {
		if s[i] == '-' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// TestSnapshotOrdering: of two snapshots with the same updated_at the one
// further along wins in either arrival order; a newer one is applied as
// sent even when its status moves back.
func TestSnapshotOrdering(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	at := placed.Add(10 * time.Minute)
	b.runEventOK(t, "t-selfservice", snapshot("o-eq1", platform.StatusPaid, at))
	b.runEventOK(t, "t-selfservice", snapshot("o-eq1", platform.StatusShipped, at))
	b.runEventOK(t, "t-selfservice", snapshot("o-eq2", platform.StatusShipped, at))
	b.runEventOK(t, "t-selfservice", snapshot("o-eq2", platform.StatusPaid, at))
	for _, id := range []string{"o-eq1", "o-eq2"} {
		b.runEventOK(t, "t-selfservice", request(id, "cr-"+id, platform.Buyer))
		v := b.view(t, "t-selfservice", id)
		if v.Order.Status != platform.StatusShipped || v.Cancellation.State != platform.Denied || *v.Cancellation.DenialReason != platform.AlreadyShipped {
			t.Fatalf("%s: order %s, cancellation %+v; want shipped, denied already_shipped", id, v.Order.Status, v.Cancellation)
		}
	}
	b.runEventOK(t, "t-selfservice", snapshot("o-back", platform.StatusShipped, at))
	b.runEventOK(t, "t-selfservice", snapshot("o-back", platform.StatusPaid, at.Add(time.Minute)))
	b.runEventOK(t, "t-selfservice", snapshot("o-back", platform.StatusShipped, at.Add(-time.Minute)))
	v := b.view(t, "t-selfservice", "o-back")
	if v.Order.Status != platform.StatusPaid || v.History[1].Note == nil || v.History[2].Note == nil {
		t.Fatalf("order %s, history %+v; want paid with notes", v.Order.Status, v.History)
	}
}

// TestAnswerAfterShipmentIsDeniedAlreadyShipped: the shared checks apply at
// the counterparty's answer: an AliExpress order that shipped while its
// request was pending is not cancelled when the seller accepts.
func TestAnswerAfterShipmentIsDeniedAlreadyShipped(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	b.runEventOK(t, "t-aliexpress", snapshot("o-ship", platform.StatusPaid, placed))
	b.runEventOK(t, "t-aliexpress", request("o-ship", "cr-ship", platform.Buyer))
	b.runEventOK(t, "t-aliexpress", snapshot("o-ship", platform.StatusShipped, placed.Add(time.Minute)))
	b.runEventOK(t, "t-aliexpress", respond("o-ship", "cr-ship", platform.Seller, platform.Accept))
	v := b.view(t, "t-aliexpress", "o-ship")
	if c := v.Cancellation; c.State != platform.Denied || c.DenialReason == nil || *c.DenialReason != platform.AlreadyShipped {
		t.Fatalf("cancellation %+v, want denied already_shipped", c)
	}
}

// TestCancelledSnapshotResolvesPendingRequest: a cancelled snapshot while
// a request is pending_response resolves it cancelled, noted.
func TestCancelledSnapshotResolvesPendingRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	b.runEventOK(t, "t-aliexpress", snapshot("o-pc", platform.StatusPaid, placed))
	b.runEventOK(t, "t-aliexpress", request("o-pc", "cr-pc", platform.Buyer))
	b.runEventOK(t, "t-aliexpress", snapshot("o-pc", platform.StatusCancelled, placed.Add(time.Minute)))
	v := b.view(t, "t-aliexpress", "o-pc")
	last := v.History[len(v.History)-1]
	if c := v.Cancellation; c.State != platform.Cancelled || c.Refund == nil || c.Version != 2 || last.Note == nil || *last.Note != "cancelled on the platform" {
		t.Fatalf("cancellation %+v, history %+v", c, last)
	}
	if v.Sync.State != order.SyncSynced || v.Sync.Version != 2 {
		t.Fatalf("sync %+v", v.Sync)
	}
}

// TestNothingToSendIsSkipped: a state the platform takes no call for
// (platform.ErrNothingToSend) is shown skipped, counts as acknowledged and
// never retries.
func TestNothingToSendIsSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	b.adapters["t-aliexpress"].Client = nothingToSend{}
	b.runEventOK(t, "t-aliexpress", snapshot("o-skip", platform.StatusPaid, placed))
	b.runEventOK(t, "t-aliexpress", request("o-skip", "cr-skip", platform.Buyer))
	v := b.view(t, "t-aliexpress", "o-skip")
	if v.Sync.State != order.SyncSkipped || v.Sync.Attempts != 1 || v.Sync.LastError != nil {
		t.Fatalf("sync %+v", v.Sync)
	}
	ins := asynq.NewInspectorFromRedisClient(b.rdb)
	if tasks, _ := ins.ListScheduledTasks(tasks.QueueSync); len(tasks) != 0 {
		t.Fatalf("%d sync tasks scheduled after a skip", len(tasks))
	}
}

type nothingToSend struct{}

func (nothingToSend) Push(context.Context, string, platform.Update) error {
	return fmt.Errorf("pending_response: %w", platform.ErrNothingToSend)
}

// TestTaskFailuresAreLogged: the servers' ErrorHandler logs every failed
// run with the task id and the adapter.
func TestTaskFailuresAreLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := failureLog{slog.New(slog.NewJSONHandler(&buf, nil))}
	payload, _ := json.Marshal(tasks.Delivery{AdapterID: "acme-self", WebhookID: "w1"})
	h.HandleError(context.Background(), asynq.NewTask(tasks.TypeEvent, payload), errors.New("json: unsupported value"))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line["msg"] != "task failed" || line["adapter"] != "acme-self" || line["type"] != tasks.TypeEvent || line["error"] != "json: unsupported value" {
		t.Fatalf("log line %v", line)
	}
	if _, ok := line["task_id"]; !ok {
		t.Fatalf("no task_id in %v", line)
	}
}

// TestTypicalDocumentIsSmall: an order with its snapshot and one decided,
// synced request stays well under 1 KiB (the memory budget per stored
// order), per-version sync records and parties included.
func TestTypicalDocumentIsSmall(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	b.runEventOK(t, "t-poshmark", snapshot("PM-10023", platform.StatusPaid, placed))
	b.runEventOK(t, "t-poshmark", request("PM-10023", "cr-881", platform.Buyer))
	raw, err := b.rdb.Get(context.Background(), orderKey("t-poshmark", "PM-10023")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) >= 1024 {
		t.Fatalf("document is %d bytes: %s", len(raw), raw)
	}
	t.Logf("document: %d bytes", len(raw))
}
