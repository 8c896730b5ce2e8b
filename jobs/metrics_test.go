package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// TestMetricsCountEveryDecisionAndSyncOutcome runs a worker with metrics
// through decisions and syncs whose counts are known, and checks that each
// counter moved by exactly that much and that job log lines carry the
// ingest request id.
func TestMetricsCountEveryDecisionAndSyncOutcome(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "o-fail"):
			w.WriteHeader(http.StatusBadRequest) // permanent
		case strings.Contains(r.URL.Path, "o-retry") && n == 1:
			w.WriteHeader(http.StatusServiceUnavailable) // retried once
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(server.Close)

	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ads := map[string]*platform.Adapter{}
	retries := map[string]syncback.Retry{}
	for id, platformName := range map[string]string{"m-self": "selfservice", "m-ali": "aliexpress"} {
		ad, err := registry.Default()[platformName].New(platform.Settings{
			ID: id, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			API: platform.API{BaseURL: server.URL, Token: "tok-SEKRIT", Timeout: 2 * time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		ads[id] = ad
		retries[id] = syncback.Retry{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	}
	store, queue := orderstore.NewStore(rdb), tasks.NewQueue(rdb, time.Hour)
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	logs := &lockedBuffer{}
	log := slogJSON(logs)
	w := NewWorker(store, queue, WorkerOptions{Adapters: ads, Retries: retries, OrderWait: time.Minute, Logger: log, Metrics: m})
	srv := NewServer(rdb, ServerOptions{Concurrency: 4, ShutdownTimeout: 2 * time.Second, TimerResolution: 50 * time.Millisecond, Logger: log})
	if err := srv.Start(w.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)

	// Series exist at zero before anything happens.
	if got := testutil.ToFloat64(m.outcomes.WithLabelValues("m-self", syncback.OutcomeDeadLettered)); got != 0 {
		t.Fatalf("dead_lettered before any sync = %v", got)
	}

	ctx := context.Background()
	deliver := func(adapterID, requestID string, ev platform.Event) {
		t.Helper()
		if _, err := queue.Enqueue(ctx, tasks.Delivery{AdapterID: adapterID, WebhookID: nextWebhookID(), RequestID: requestID, ReceivedAt: time.Now(), Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	// Three selfservice cancellations: one synced at once, one after a 503,
	// one refused for good (400).
	for _, o := range []string{"o-ok", "o-retry", "o-fail"} {
		deliver("m-self", "rid-snap-"+o, snapshot(o, platform.StatusPaid, placed))
		// Workers take tasks in parallel; the request must find its order
		// stored, or the snapshot's task decides it (and its log lines
		// carry the snapshot's request id).
		eventually(t, o+" stored", func() bool {
			v, err := store.OrderView(ctx, ads["m-self"], o)
			return err == nil && v.Order != nil
		})
		deliver("m-self", "rid-req-"+o, request(o, "cr-"+o, platform.Buyer))
	}
	// Two AliExpress requests wait for their order; its snapshot decides
	// both in one transition: pending_response, then denied request_open.
	deliver("m-ali", "rid-a", request("o-multi", "cr-a", platform.Buyer))
	eventually(t, "cr-a stored", func() bool {
		v, err := store.OrderView(ctx, ads["m-ali"], "o-multi")
		return err == nil && v.Cancellation != nil
	})
	deliver("m-ali", "rid-b", request("o-multi", "cr-b", platform.Buyer))
	eventually(t, "cr-b stored", func() bool {
		v, err := store.OrderView(ctx, ads["m-ali"], "o-multi")
		return err == nil && v.Cancellation != nil && len(v.History) == 2
	})
	deliver("m-ali", "rid-snap-multi", snapshot("o-multi", platform.StatusPaid, placed))

	want := map[prometheus.Collector]float64{
		m.decisions.WithLabelValues("m-self", "selfservice", "cancelled"):      3,
		m.decisions.WithLabelValues("m-ali", "aliexpress", "pending_response"): 1,
		m.decisions.WithLabelValues("m-ali", "aliexpress", "denied"):           1,
		m.outcomes.WithLabelValues("m-self", syncback.OutcomeSynced):           2,
		m.outcomes.WithLabelValues("m-self", syncback.OutcomeRetried):          1,
		m.outcomes.WithLabelValues("m-self", syncback.OutcomeDeadLettered):     1,
		m.outcomes.WithLabelValues("m-ali", syncback.OutcomeSynced):            2, // versions 1 and 2
		m.outcomes.WithLabelValues("m-ali", syncback.OutcomeRetried):           0,
		m.attempts.WithLabelValues("m-self", syncback.OutcomeSynced):           2,
		m.attempts.WithLabelValues("m-self", syncback.OutcomeRetried):          1,
		m.attempts.WithLabelValues("m-self", syncback.OutcomeDeadLettered):     1,
		m.attempts.WithLabelValues("m-ali", syncback.OutcomeSynced):            2,
	}
	eventually(t, "every sync done", func() bool {
		return testutil.ToFloat64(m.outcomes.WithLabelValues("m-self", syncback.OutcomeSynced)) == 2 &&
			testutil.ToFloat64(m.outcomes.WithLabelValues("m-self", syncback.OutcomeDeadLettered)) == 1 &&
			testutil.ToFloat64(m.outcomes.WithLabelValues("m-ali", syncback.OutcomeSynced)) == 2
	})
	time.Sleep(200 * time.Millisecond) // nothing more may arrive
	for c, n := range want {
		if got := testutil.ToFloat64(c); got != n {
			t.Errorf("%s = %v, want %v", c.(prometheus.Metric).Desc(), got, n)
		}
	}
	if n := testutil.CollectAndCount(m.duration); n != 2 {
		t.Errorf("sync duration histograms = %d, want one per adapter", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}

	// Job lines carry the ingest request id of the webhook that decided
	// the order (its cancellation, or its snapshot when the request came
	// first and waited), and the Asynq task id; no token appears.
	lines := logs.lines(t)
	for _, o := range []string{"o-ok", "o-retry", "o-fail"} {
		decidedBy := ""
		for _, l := range lines {
			if l["msg"] == "applied" && l["order_id"] == o && l["state"] == "cancelled" {
				decidedBy, _ = l["request_id"].(string)
			}
		}
		if decidedBy != "rid-req-"+o && decidedBy != "rid-snap-"+o {
			t.Errorf("%s: decided with request_id %q", o, decidedBy)
		}
		var got []string
		for _, l := range lines {
			if (l["msg"] == "synced" || l["msg"] == "sync failed") && l["order_id"] == o {
				got = append(got, fmt.Sprint(l["msg"], "/", l["outcome"]))
				if l["request_id"] != decidedBy || l["task_id"] == nil {
					t.Errorf("%s: %v line with request_id %v task_id %v, want %s and a task id", o, l["msg"], l["request_id"], l["task_id"], decidedBy)
				}
			}
		}
		want := map[string]string{"o-ok": "synced/<nil>", "o-retry": "sync failed/retried synced/<nil>", "o-fail": "sync failed/dead_lettered"}[o]
		if strings.Join(got, " ") != want {
			t.Errorf("%s: sync lines %q, want %q", o, got, want)
		}
	}
	if strings.Contains(logs.b.String(), "SEKRIT") {
		t.Errorf("logs show the API token")
	}
}

func slogJSON(w *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
