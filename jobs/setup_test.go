package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/order/ordertest"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// fakePlatform is a platform API as a real HTTP server on loopback. Each PUT
// is recorded; script, when set, picks the answer for the n-th PUT (from 0).
type fakePlatform struct {
	srv    *httptest.Server
	mu     sync.Mutex
	puts   []recordedPut
	script func(n int, w http.ResponseWriter) bool // true: answered
	// byUpdate, when set, picks the answer by the update pushed.
	byUpdate func(u platform.Update, w http.ResponseWriter) bool
}

type recordedPut struct {
	Path           string
	Auth           string
	IdempotencyKey string
	Update         platform.Update
	Raw            string
	At             time.Time
}

func newFakePlatform(t *testing.T) *fakePlatform {
	f := &fakePlatform{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var u platform.Update
		_ = json.Unmarshal(raw, &u)
		f.mu.Lock()
		n := len(f.puts)
		f.puts = append(f.puts, recordedPut{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), IdempotencyKey: r.Header.Get("Idempotency-Key"), Update: u, Raw: string(raw), At: time.Now()})
		script, byUpdate := f.script, f.byUpdate
		f.mu.Unlock()
		if script != nil && script(n, w) {
			return
		}
		if byUpdate != nil && byUpdate(u, w) {
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePlatform) setScript(s func(n int, w http.ResponseWriter) bool) {
	f.mu.Lock()
	f.script = s
	f.mu.Unlock()
}

func (f *fakePlatform) setScriptUpdate(s func(u platform.Update, w http.ResponseWriter) bool) {
	f.mu.Lock()
	f.byUpdate = s
	f.mu.Unlock()
}

func (f *fakePlatform) received() []recordedPut {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedPut(nil), f.puts...)
}

// bundle is a worker on miniredis with its collaborators.
type bundle struct {
	mr       *miniredis.Miniredis
	rdb      *redis.Client
	store    *orderstore.Store
	queue    *tasks.Queue
	worker   *Worker
	dlq      *syncback.DeadLetters
	platform *fakePlatform
	adapters map[string]*platform.Adapter
}

type setupOpts struct {
	orderWait time.Duration
	windows   platform.Windows
	retry     syncback.Retry
	noServer  bool
	// queueSyncs: every sync goes through its own task (WorkerOptions).
	queueSyncs bool
	// real runs on a real redis-server instead of miniredis.
	real bool
	// format is the document format the store writes (0: its default),
	// and so the scheme of its console indexes (orderstore/index/facts.go).
	format int
}

// formats are the document formats the store may write: the console's
// tests run in each, for each indexes its requests its own way.
var formats = []int{order.FormatJSON, order.FormatCompact}

// inFormats runs test in each of formats, in parallel.
func inFormats(t *testing.T, test func(t *testing.T, format int)) {
	for _, format := range formats {
		t.Run(fmt.Sprintf("format=%d", format), func(t *testing.T) {
			t.Parallel()
			test(t, format)
		})
	}
}

// setup builds one adapter per seed platform ("t-<platform>") that syncs to
// one fake platform, and runs a worker server unless noServer.
func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	var mr *miniredis.Miniredis
	var rdb *redis.Client
	if o.real {
		rdb = redistest.Start(t, redistest.Options{}).Client()
	} else {
		mr = miniredis.RunT(t)
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
	}
	if o.format != order.FormatJSON {
		// A new installation's store: compact (unless forced below).
		if _, err := orderstore.InitFormat(context.Background(), rdb); err != nil {
			t.Fatal(err)
		}
	}
	b := &bundle{mr: mr, rdb: rdb, store: orderstore.NewStore(rdb), platform: newFakePlatform(t), adapters: map[string]*platform.Adapter{}}
	b.store.ForceFormat(o.format)
	if o.orderWait == 0 {
		o.orderWait = time.Minute
	}
	if o.retry.MaxAttempts == 0 {
		o.retry = syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
	}
	retries := map[string]syncback.Retry{}
	for name, p := range registry.Default() {
		ad, err := p.New(platform.Settings{
			ID: "t-" + name, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Windows: o.windows,
			API: platform.API{BaseURL: b.platform.srv.URL, Token: "tok-" + name, Timeout: 2 * time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		b.adapters[ad.ID] = ad
		retries[ad.ID] = o.retry
	}
	b.queue = tasks.NewQueue(rdb, time.Hour)
	b.queue.SyncAttempts = func(id string) int { return retries[id].MaxAttempts }
	b.worker = NewWorker(b.store, b.queue, WorkerOptions{Adapters: b.adapters, Retries: retries, OrderWait: o.orderWait, Logger: quiet, QueueSyncs: o.queueSyncs})
	b.dlq = syncback.NewDeadLetters(b.queue, b.store)
	if !o.noServer {
		srv := NewServer(rdb, ServerOptions{Concurrency: 8, ShutdownTimeout: 2 * time.Second, TimerResolution: 50 * time.Millisecond, Logger: quiet})
		if err := srv.Start(b.worker.Handler()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Shutdown)
	}
	return b
}

var quiet = slog.New(slog.DiscardHandler)

var webhookSeq struct {
	sync.Mutex
	n int
}

func nextWebhookID() string {
	webhookSeq.Lock()
	defer webhookSeq.Unlock()
	webhookSeq.n++
	return fmt.Sprintf("msg_%d", webhookSeq.n)
}

func (b *bundle) deliver(t *testing.T, adapterID string, ev platform.Event) string {
	t.Helper()
	id := nextWebhookID()
	dup, err := b.queue.Enqueue(context.Background(), tasks.Delivery{AdapterID: adapterID, WebhookID: id, ReceivedAt: time.Now(), Event: ev})
	if err != nil || dup {
		t.Fatalf("enqueue: dup=%v err=%v", dup, err)
	}
	return id
}

// The events the tests apply, as the adapters decode them.
var (
	placed     = ordertest.Placed
	snapshot   = ordertest.Snapshot
	request    = ordertest.Request
	oldRequest = ordertest.OldRequest
)

func respond(orderID, requestID string, who platform.Party, d platform.Decision) platform.Event {
	return platform.Event{Type: platform.CancellationResponded, Cancellation: &platform.Cancellation{
		Type: platform.CancellationResponded, OrderID: orderID, RequestID: requestID, Responder: who, Decision: d,
		OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}

// view reads the order's view.
func (b *bundle) view(t *testing.T, adapterID, orderID string) *order.OrderView {
	t.Helper()
	v, err := b.store.OrderView(context.Background(), b.adapters[adapterID], orderID)
	if err != nil {
		t.Fatalf("view %s: %v", orderID, err)
	}
	return v
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bundle) waitState(t *testing.T, adapterID, orderID string, state platform.State, sync string) *order.OrderView {
	t.Helper()
	var v *order.OrderView
	eventually(t, fmt.Sprintf("%s %s/%s", orderID, state, sync), func() bool {
		got, err := b.store.OrderView(context.Background(), b.adapters[adapterID], orderID)
		if err != nil || got.Cancellation == nil || got.Cancellation.State != state {
			return false
		}
		v = got
		return sync == "" || got.Sync != nil && got.Sync.State == sync
	})
	return v
}
