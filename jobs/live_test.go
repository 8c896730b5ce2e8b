package jobs

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/poshmark"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// liveWorker runs a worker on b whose adapters come from the lookup of
// *set, which the test swaps as a reload would.
func liveWorker(t *testing.T, b *bundle, set *atomic.Pointer[map[string]*platform.Adapter], log *slog.Logger) {
	t.Helper()
	lookup := func(id string) (*platform.Adapter, bool) {
		ad, ok := (*set.Load())[id]
		return ad, ok
	}
	retryOf := func(id string) (syncback.Retry, bool) {
		_, ok := lookup(id)
		return syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}, ok
	}
	w := NewWorker(b.store, b.queue, WorkerOptions{Lookup: lookup, RetryOf: retryOf, OrderWait: time.Minute, Logger: log})
	srv := NewServer(b.rdb, ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second, TimerResolution: 50 * time.Millisecond, Logger: log})
	if err := srv.Start(w.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

// A task of an adapter the config no longer has is not dropped: Asynq
// archives it at once with "adapter X is not configured" (a sync: in the
// dead letter, where dlq list shows it), and the failure is logged.
func TestRemovedAdapterTasksAreArchivedWithReason(t *testing.T) {
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	b.deliver(t, "t-selfservice", snapshot("o-gone", platform.StatusPaid, placed))
	doc := &order.Doc{Requests: []order.Request{{ID: "cr-1", State: platform.Cancelled, Version: 1}}}
	if err := b.queue.QueueNext(ctx, "t-selfservice", "o-gone", doc, ""); err != nil {
		t.Fatal(err)
	}

	var set atomic.Pointer[map[string]*platform.Adapter]
	set.Store(&map[string]*platform.Adapter{}) // t-selfservice was removed
	logs := &lockedBuffer{}
	liveWorker(t, b, &set, slog.New(slog.NewJSONHandler(logs, nil)))

	insp := asynq.NewInspectorFromRedisClient(b.rdb)
	const reason = "adapter t-selfservice is not configured"
	eventually(t, "the event task archived", func() bool {
		tasks, err := insp.ListArchivedTasks(tasks.QueueEvents)
		return err == nil && len(tasks) == 1 && strings.Contains(tasks[0].LastErr, reason)
	})
	var letters []orderstore.DeadLetter
	eventually(t, "the sync task in the dead letter", func() bool {
		var err error
		letters, err = b.dlq.List(ctx)
		return err == nil && len(letters) == 1
	})
	if l := letters[0]; l.Adapter != "t-selfservice" || l.OrderID != "o-gone" || l.Version != 1 || !strings.Contains(l.LastError, reason) {
		t.Fatalf("dead letter %+v", l)
	}
	eventually(t, "both failures logged", func() bool {
		n := 0
		for _, l := range logs.lines(t) {
			if e, _ := l["error"].(string); l["msg"] == "task failed" && l["archived"] == true && strings.Contains(e, reason) {
				n++
			}
		}
		return n == 2
	})
	if got := len(b.platform.received()); got != 0 {
		t.Fatalf("%d pushes for a removed adapter", got)
	}
}

// The lookup is asked per task: after a swap, the next task decides by the
// new adapter's windows and pushes with its token, while what was already
// decided stays as it was.
func TestLookupPerTask(t *testing.T) {
	b := setup(t, setupOpts{noServer: true})
	build := func(token string, window time.Duration) *platform.Adapter {
		ad, err := poshmark.Platform.New(platform.Settings{
			ID: "t-live", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			Windows: platform.Windows{CancelWindow: window},
			API:     platform.API{BaseURL: b.platform.srv.URL, Token: token, Timeout: 2 * time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		return ad
	}
	var set atomic.Pointer[map[string]*platform.Adapter]
	first := build("tok-old", 30*time.Minute)
	set.Store(&map[string]*platform.Adapter{"t-live": first})
	liveWorker(t, b, &set, quiet)

	// Placed an hour ago: out of a 30 min window, inside a 2 h one.
	b.deliver(t, "t-live", snapshot("o-1", platform.StatusPaid, placed))
	b.deliver(t, "t-live", request("o-1", "cr-1", platform.Buyer))
	b.adapters["t-live"] = first
	if v := b.waitState(t, "t-live", "o-1", platform.Denied, order.SyncSynced); v.Cancellation.DenialReason == nil {
		t.Fatalf("o-1: %+v", v.Cancellation)
	}

	set.Store(&map[string]*platform.Adapter{"t-live": build("tok-new", 2*time.Hour)})
	b.deliver(t, "t-live", snapshot("o-2", platform.StatusPaid, placed))
	b.deliver(t, "t-live", request("o-2", "cr-2", platform.Buyer))
	b.waitState(t, "t-live", "o-2", platform.Cancelled, order.SyncSynced)
	b.waitState(t, "t-live", "o-1", platform.Denied, order.SyncSynced)

	auth := map[string]string{}
	for _, p := range b.platform.received() {
		auth[p.Update.OrderID] = p.Auth
	}
	if auth["o-1"] != "Bearer tok-old" || auth["o-2"] != "Bearer tok-new" {
		t.Fatalf("tokens pushed: %v", auth)
	}
}
