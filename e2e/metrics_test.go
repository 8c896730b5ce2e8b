package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// opsScrape reads a Prometheus text page into series → value, keyed by the
// series exactly as client_golang prints it: name{label="v",...} with the
// labels in name order.
func opsScrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape %s: bad line %q", url, line)
		}
		out[line[:i]] = v
	}
	return out
}

// opsLint runs Prometheus' metric linter (what promtool check metrics runs)
// over the page at url: every series must pass.
func opsLint(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatalf("lint %s: %v", url, err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// opsWaitMetric polls url until series has value want (30 s at most).
func opsWaitMetric(t *testing.T, url, series string, want float64) {
	t.Helper()
	var got float64
	var ok bool
	if !poll(30*time.Second, 50*time.Millisecond, func() bool {
		got, ok = opsScrape(t, url)[series]
		return ok && got == want
	}) {
		t.Fatalf("%s = %v (present %v), want %v", series, got, ok, want)
	}
}

// opsPost signs and posts a webhook with the given timestamp and
// X-Request-Id; sig "" signs it properly, anything else is sent instead.
func opsPost(t *testing.T, s *service, adapter, kind, webhookID, requestID string, ts time.Time, body any, sig string) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := signedRequest(s.url, adapter, kind, webhookID, ts, raw)
	if err != nil {
		t.Fatal(err)
	}
	if sig != "" {
		req.Header.Set("webhook-signature", sig)
	}
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// listeningLine is the one line a serve or api process prints on stdout;
// everything else it writes is a log record.
var listeningLine = regexp.MustCompile(`^cancelsync (serve|api) listening on http://\S+ \(pid \d+\)$`)

// opsLogLines parses a process's output: every line must be a JSON log
// record with time, level and msg, except the one listening line.
func opsLogLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	plain := 0
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if listeningLine.MatchString(line) {
			plain++
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("output line is neither JSON nor the listening line: %q", line)
			continue
		}
		if m["time"] == nil || m["level"] == nil || m["msg"] == nil {
			t.Errorf("log record without time, level or msg: %q", line)
		}
		recs = append(recs, m)
	}
	if plain > 1 {
		t.Errorf("%d listening lines, want at most one", plain)
	}
	return recs
}

// TestMetricsAndLogsAfterAScriptedRun drives serve through a known mix of
// answers, decisions and sync results, then checks that every counter
// moved by exactly the expected amount, that the output is JSON log
// records (but for the one listening line) without secrets or payloads, and
// that one request id follows a webhook from ingest to its sync.
func TestMetricsAndLogsAfterAScriptedRun(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	puts := map[string]int{}
	answer := func(_ int, pu put, _ http.Header) int {
		mu.Lock()
		defer mu.Unlock()
		puts[pu.OrderID]++
		switch {
		case pu.OrderID == "M-DEAD":
			return http.StatusUnprocessableEntity // permanent: dead letter at once
		case pu.OrderID == "M-RETRY" && puts[pu.OrderID] == 1:
			return http.StatusServiceUnavailable // retried once
		}
		return http.StatusOK
	}
	retry := "    retry: {max_attempts: 3, base_delay: 100ms, max_delay: 200ms}\n"
	s := newRig(t, answer, "",
		adapterConf{id: "acme-self", platform: "selfservice", extra: retry},
		adapterConf{id: "acme-posh", platform: "poshmark", extra: retry},
	).serve(t)
	metricsURL := s.url + "/metrics"
	before := opsScrape(t, metricsURL)

	now := time.Now()
	placed := now.Add(-time.Hour)
	// Request ids of the cancellations, by order, to follow into the jobs.
	cancelRID := map[string]string{}
	cancelWID := map[string]string{}
	for _, o := range []string{"M-OK", "M-RETRY", "M-DEAD"} {
		if c := opsPost(t, s, "acme-self", "orders", newID(), "", now, orderBody(o, "paid", placed, now, nil), ""); c != http.StatusAccepted {
			t.Fatalf("order %s: %d", o, c)
		}
		cancelRID[o], cancelWID[o] = "rid-"+o, newID()
		if c := opsPost(t, s, "acme-self", "cancellations", cancelWID[o], cancelRID[o], now, requestBody(o, "cr-"+o, "buyer", now), ""); c != http.StatusAccepted {
			t.Fatalf("cancellation %s: %d", o, c)
		}
	}
	orderID := newID()
	posh := orderBody("P-1", "paid", placed, now, nil)
	for i, want := range []int{http.StatusAccepted, http.StatusOK} { // the second is a re-delivery
		if c := opsPost(t, s, "acme-posh", "orders", orderID, "", now, posh, ""); c != want {
			t.Fatalf("posh order delivery %d: %d, want %d", i+1, c, want)
		}
	}
	if c := opsPost(t, s, "acme-posh", "cancellations", newID(), "", now, requestBody("P-1", "cr-p1", "buyer", now), ""); c != http.StatusAccepted {
		t.Fatalf("posh cancellation: %d", c)
	}
	if c := opsPost(t, s, "acme-posh", "orders", newID(), "", now, posh, "v1,"+strings.Repeat("A", 44)); c != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", c)
	}
	if c := opsPost(t, s, "acme-posh", "orders", newID(), "", now.Add(-time.Hour), posh, ""); c != http.StatusUnauthorized {
		t.Fatalf("stale timestamp: %d", c)
	}
	if c := opsPost(t, s, "acme-posh", "orders", newID(), "", now, map[string]any{"type": "order.updated"}, ""); c != http.StatusBadRequest {
		t.Fatalf("invalid payload: %d", c)
	}
	if c := opsPost(t, s, "no-such-adapter", "orders", newID(), "", now, posh, ""); c != http.StatusNotFound {
		t.Fatalf("unknown adapter: %d", c)
	}

	s.waitFor(t, "acme-self", "M-OK", "synced", stateIs("cancelled", "synced"))
	s.waitFor(t, "acme-self", "M-RETRY", "synced", stateIs("cancelled", "synced"))
	s.waitFor(t, "acme-self", "M-DEAD", "failed", stateIs("cancelled", "failed"))
	s.waitFor(t, "acme-posh", "P-1", "synced", stateIs("cancelled", "synced"))
	opsWaitMetric(t, metricsURL, "cancelsync_dead_letter_size", 1)
	time.Sleep(300 * time.Millisecond) // let anything late arrive, so that "exactly" means it
	after := opsScrape(t, metricsURL)

	delta := map[string]float64{
		`cancelsync_webhooks_received_total{adapter="acme-self",kind="orders",status="202"}`:        3,
		`cancelsync_webhooks_received_total{adapter="acme-self",kind="cancellations",status="202"}`: 3,
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="orders",status="202"}`:        1,
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="orders",status="200"}`:        1,
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="orders",status="401"}`:        2,
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="orders",status="400"}`:        1,
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="cancellations",status="202"}`: 1,
		`cancelsync_webhooks_received_total{adapter="unknown",kind="orders",status="404"}`:          1,
		`cancelsync_webhook_duration_seconds_count{kind="orders"}`:                                  9,
		`cancelsync_webhook_duration_seconds_count{kind="cancellations"}`:                           4,
		`cancelsync_webhook_duplicates_total{adapter="acme-posh"}`:                                  1,
		`cancelsync_webhook_duplicates_total{adapter="acme-self"}`:                                  0,
		`cancelsync_webhook_auth_failures_total{adapter="acme-posh",reason="signature"}`:            1,
		`cancelsync_webhook_auth_failures_total{adapter="acme-posh",reason="timestamp"}`:            1,
		`cancelsync_webhook_auth_failures_total{adapter="acme-self",reason="signature"}`:            0,
		`cancelsync_decisions_total{adapter="acme-self",platform="selfservice",state="cancelled"}`:  3,
		`cancelsync_decisions_total{adapter="acme-posh",platform="poshmark",state="cancelled"}`:     1,
		`cancelsync_sync_attempts_total{adapter="acme-self",outcome="synced"}`:                      2,
		`cancelsync_sync_attempts_total{adapter="acme-self",outcome="retried"}`:                     1,
		`cancelsync_sync_attempts_total{adapter="acme-self",outcome="dead_lettered"}`:               1,
		`cancelsync_sync_attempts_total{adapter="acme-posh",outcome="synced"}`:                      1,
		`cancelsync_sync_duration_seconds_count{adapter="acme-self"}`:                               4,
		`cancelsync_sync_duration_seconds_count{adapter="acme-posh"}`:                               1,
		`cancelsync_sync_outcomes_total{adapter="acme-self",outcome="synced"}`:                      2,
		`cancelsync_sync_outcomes_total{adapter="acme-self",outcome="retried"}`:                     1,
		`cancelsync_sync_outcomes_total{adapter="acme-self",outcome="dead_lettered"}`:               1,
		`cancelsync_sync_outcomes_total{adapter="acme-posh",outcome="synced"}`:                      1,
		`cancelsync_sync_outcomes_total{adapter="acme-posh",outcome="retried"}`:                     0,
		`cancelsync_sync_outcomes_total{adapter="acme-posh",outcome="dead_lettered"}`:               0,
	}
	for series, want := range delta {
		got, ok := after[series]
		if !ok {
			t.Errorf("%s missing", series)
			continue
		}
		if d := got - before[series]; d != want {
			t.Errorf("%s moved by %v, want %v", series, d, want)
		}
	}
	// Every other cancelsync counter stayed where it was: nothing counted twice.
	for series, v := range after {
		if _, listed := delta[series]; listed || !strings.HasPrefix(series, "cancelsync_") || !strings.Contains(series, "_total") {
			continue
		}
		if d := v - before[series]; d != 0 {
			t.Errorf("%s moved by %v, want 0", series, d)
		}
	}
	gauges := map[string]float64{
		`cancelsync_dead_letter_size`:                                 1,
		`asynq_queue_tasks{queue="cancelsync-sync",state="archived"}`: 1,
		`asynq_queue_tasks{queue="cancelsync-sync",state="pending"}`:  0,
		`asynq_queue_paused{queue="cancelsync-sync"}`:                 0,
		// A request that beat its order's snapshot leaves an order_wait
		// timer scheduled, so only pending and retry are known to be empty.
		`asynq_queue_tasks{queue="cancelsync-events",state="pending"}`: 0,
		`asynq_queue_tasks{queue="cancelsync-events",state="retry"}`:   0,
	}
	for series, want := range gauges {
		if got, ok := after[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	opsLint(t, metricsURL)
	for _, series := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := after[series]; !ok {
			t.Errorf("runtime series %s missing", series)
		}
	}
	// No label carries an order id, a webhook id or a secret.
	page := fmt.Sprint(after)
	for _, leak := range []string{"M-OK", "P-1", "cr-p1", orderID, adminToken, secret, "tok-acme"} {
		if strings.Contains(page, leak) {
			t.Errorf("/metrics mentions %q", leak)
		}
	}

	s.stopClean(t)
	out := s.out.String()
	assertNoSecrets(t, out, "tok-acme-self-secret", "tok-acme-posh-secret", adminToken)
	for _, payload := range []string{"Ordered the wrong size", "JKT-M", "42.50", "b-17"} {
		if strings.Contains(out, payload) {
			t.Errorf("logs show payload content %q", payload)
		}
	}
	recs := opsLogLines(t, out)
	// Every ingest line has a request id, the caller's X-Request-Id when it
	// sent one. The job line that decides an order carries the request id
	// of the webhook that decided it (the cancellation, or the order
	// snapshot a waiting request was decided on), and so do the sync's lines.
	ingest := map[string]string{} // webhook id → request id
	for _, r := range recs {
		if r["msg"] != "webhook" {
			continue
		}
		rid, _ := r["request_id"].(string)
		if rid == "" {
			t.Errorf("ingest line without request_id: %v", r)
		}
		if wid, _ := r["webhook_id"].(string); wid != "" && r["status"] == float64(http.StatusAccepted) {
			ingest[wid] = rid
		}
	}
	for o, wid := range cancelWID {
		if ingest[wid] != cancelRID[o] {
			t.Errorf("ingest line of %s's cancellation has request_id %q, want the caller's %q", o, ingest[wid], cancelRID[o])
		}
	}
	for _, o := range []string{"M-OK", "M-RETRY", "M-DEAD", "P-1"} {
		decidedBy := ""
		for _, r := range recs {
			if r["msg"] == "applied" && r["order_id"] == o && r["state"] == "cancelled" {
				wid, _ := r["webhook_id"].(string)
				if rid, _ := r["request_id"].(string); rid == "" || rid != ingest[wid] {
					t.Errorf("%s: applied line has request_id %q, its webhook %s came in with %q", o, rid, wid, ingest[wid])
				}
				decidedBy, _ = r["request_id"].(string)
			}
		}
		if decidedBy == "" {
			t.Errorf("%s: no applied line with state cancelled", o)
			continue
		}
		var syncLines []string
		for _, r := range recs {
			if (r["msg"] == "synced" || r["msg"] == "sync failed") && r["order_id"] == o {
				syncLines = append(syncLines, r["msg"].(string))
				if r["request_id"] != decidedBy || r["task_id"] == nil {
					t.Errorf("%s: %s line has request_id %v task_id %v, want %s and a task id", o, r["msg"], r["request_id"], r["task_id"], decidedBy)
				}
			}
		}
		want := map[string]string{"M-OK": "synced", "M-RETRY": "sync failed,synced", "M-DEAD": "sync failed", "P-1": "synced"}[o]
		if got := strings.Join(syncLines, ","); got != want {
			t.Errorf("%s: sync lines %q, want %q", o, got, want)
		}
	}
}
