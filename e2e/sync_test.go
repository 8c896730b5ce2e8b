package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/tasks"
)

// TestUnreachablePlatformDeadLetterAndReplay is the dead letter's story: an adapter
// points at a URL where nothing listens; its sync goes pending → failed after
// max_attempts and shows in `dlq list`, even once Asynq's archive has
// dropped it; the platform comes up; `dlq replay --all` syncs it.
func TestUnreachablePlatformDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	deadLetterAndReplay(t, single)
}

func deadLetterAndReplay(t *testing.T, rb redisBackend) {
	url := rb(t)
	addr := freeAddr(t) // nothing listens here yet
	retry := "    retry: {max_attempts: 3, base_delay: 100ms, max_delay: 200ms}\n"
	cfg, listen := writeConfig(t, url, []adapterConf{{id: "down-self", platform: "selfservice", baseURL: "http://" + addr, extra: retry}}, "")
	s := start(t, "serve", cfg, listen)
	now := time.Now().UTC().Truncate(time.Second)
	s.acceptOrder(t, "down-self", "D-1", "cr-d1", now)

	v := s.waitFor(t, "down-self", "D-1", "sync failed", stateIs("cancelled", "failed"))
	if field(v, "sync", "attempts") != 3.0 || field(v, "sync", "last_error") == nil || field(v, "sync", "version") != 1.0 {
		t.Fatalf("sync %v", v["sync"])
	}
	if strings.Contains(field(v, "sync", "last_error").(string), "tok-down-self-secret") {
		t.Fatal("token in last_error")
	}

	code, out := runCLI(t, "dlq", "list", "--config", cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || lines[0] != "ID\tADAPTER\tORDER_ID\tREQUEST_ID\tVERSION\tATTEMPTS\tFAILED_AT\tLAST_ERROR" {
		t.Fatalf("dlq list: exit %d\n%s", code, out)
	}
	cols := strings.Split(lines[1], "\t")
	if len(cols) != 8 || cols[1] != "down-self" || cols[2] != "D-1" || cols[3] != "cr-d1" || cols[4] != "1" || cols[5] != "3" {
		t.Fatalf("dlq row %q", cols)
	}
	if _, err := time.Parse(time.RFC3339, cols[6]); err != nil {
		t.Fatalf("FAILED_AT %q: %v", cols[6], err)
	}
	code, out = runCLI(t, "dlq", "list", "--json", "--config", cfg)
	var entry map[string]any
	if code != 0 || json.Unmarshal([]byte(strings.TrimSpace(out)), &entry) != nil || entry["id"] != cols[0] || entry["order_id"] != "D-1" || entry["attempts"] != 3.0 {
		t.Fatalf("dlq list --json: exit %d\n%s", code, out)
	}
	assertNoSecrets(t, out, "tok-down-self-secret")

	// Asynq's archive keeps 10,000 tasks at most: past that it drops the
	// oldest id from its set, as here. The dead letter does not follow it.
	rdb := clientOf(t, url)
	queue := tasks.LayoutOf(rdb).Sync("down-self", "D-1")
	if err := rdb.ZRem(t.Context(), "asynq:{"+queue+"}:archived", cols[0]).Err(); err != nil {
		t.Fatal(err)
	}
	if code, again := runCLI(t, "dlq", "list", "--config", cfg); code != 0 || again != strings.Join(lines, "\n")+"\n" {
		t.Fatalf("dlq list once Asynq's archive dropped the entry: exit %d\n%s", code, again)
	}

	p := newPlatformOn(t, addr)
	if code, out := runCLI(t, "dlq", "replay", "--all", "--config", cfg); code != 0 || !strings.Contains(out, "1 replayed") {
		t.Fatalf("dlq replay: exit %d\n%s", code, out)
	}
	v = s.waitFor(t, "down-self", "D-1", "synced after replay", stateIs("cancelled", "synced"))
	if field(v, "sync", "attempts") != 1.0 || field(v, "sync", "last_error") != nil {
		t.Fatalf("sync after replay %v", v["sync"])
	}
	if vs := p.syncedVersions("D-1"); len(vs) != 1 || vs[0] != 1 {
		t.Fatalf("PUTs after replay %v", vs)
	}
	if code, out := runCLI(t, "dlq", "list", "--config", cfg); code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("dlq not empty after replay: exit %d\n%s", code, out)
	}
	if code, out := runCLI(t, "dlq", "replay", "no-such-id", "--config", cfg); code != 1 {
		t.Fatalf("replay of unknown id: exit %d\n%s", code, out)
	}
	assertNoSecrets(t, s.out.String(), "tok-down-self-secret", adminToken)
}

// TestSyncRetriesAgainstScriptedPlatform covers the retry rules of docs/API.md
// §5 against a platform scripted to fail: connection refused then up, 429
// with Retry-After, 503 twice then 200, and a permanent 400.
func TestSyncRetriesAgainstScriptedPlatform(t *testing.T) {
	t.Parallel()
	late := freeAddr(t) // refused until the platform starts here
	var mu sync.Mutex
	attempts := map[string][]time.Time{}
	answer := func(n int, pu put, h http.Header) int {
		mu.Lock()
		defer mu.Unlock()
		attempts[pu.OrderID] = append(attempts[pu.OrderID], time.Now())
		k := len(attempts[pu.OrderID])
		switch pu.OrderID {
		case "R-429":
			if k == 1 {
				// Honoured up to max_delay (2 s); the first backoff would be ≤ 100 ms.
				h.Set("Retry-After", "1")
				return http.StatusTooManyRequests
			}
		case "R-503":
			if k <= 2 {
				return http.StatusServiceUnavailable
			}
		case "R-400":
			return http.StatusBadRequest
		}
		return http.StatusOK
	}
	retry := "    retry: {max_attempts: 8, base_delay: 50ms, max_delay: 2s}\n"
	r := newRig(t, answer, "",
		adapterConf{id: "ok-self", platform: "selfservice", extra: retry},
		adapterConf{id: "late-self", platform: "selfservice", baseURL: "http://" + late, extra: retry},
	)
	s := r.serve(t)
	now := time.Now().UTC().Truncate(time.Second)
	for _, id := range []string{"R-429", "R-503", "R-400"} {
		s.acceptOrder(t, "ok-self", id, "cr-"+id, now)
	}
	s.acceptOrder(t, "late-self", "R-late", "cr-late", now)

	v := s.waitFor(t, "ok-self", "R-503", "synced after two 503s", stateIs("cancelled", "synced"))
	if field(v, "sync", "attempts") != 3.0 {
		t.Fatalf("R-503 sync %v", v["sync"])
	}
	v = s.waitFor(t, "ok-self", "R-400", "failed at once", stateIs("cancelled", "failed"))
	if field(v, "sync", "attempts") != 1.0 || !strings.Contains(field(v, "sync", "last_error").(string), "400") {
		t.Fatalf("R-400 sync %v", v["sync"])
	}
	s.waitFor(t, "ok-self", "R-429", "synced after 429", stateIs("cancelled", "synced"))
	mu.Lock()
	got := attempts["R-429"]
	n400 := len(attempts["R-400"])
	mu.Unlock()
	if len(got) != 2 || got[1].Sub(got[0]) < time.Second {
		t.Fatalf("R-429: %d attempts, %v apart; Retry-After: 1 not honoured", len(got), got[len(got)-1].Sub(got[0]))
	}
	if n400 != 1 {
		t.Fatalf("R-400 attempted %d times", n400)
	}

	// Connection refused for a while, then the platform comes up.
	s.waitFor(t, "late-self", "R-late", "a refused attempt", func(v map[string]any) bool {
		a, _ := field(v, "sync", "attempts").(float64)
		return a >= 2
	})
	lp := newPlatformOn(t, late)
	s.waitFor(t, "late-self", "R-late", "synced once up", stateIs("cancelled", "synced"))
	if vs := lp.syncedVersions("R-late"); len(vs) != 1 {
		t.Fatalf("R-late PUTs %v", vs)
	}
	code, out := runCLI(t, "dlq", "list", "--config", r.cfg)
	if code != 0 || !strings.Contains(out, "\tR-400\t") || strings.Count(out, "\n") != 2 {
		t.Fatalf("dlq list: %d\n%s", code, out)
	}
}
