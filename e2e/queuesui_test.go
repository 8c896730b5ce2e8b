package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestQueuesUIInspectsAndRetriesADeadLetter uses asynqmon, mounted by the
// binary under /admin/queues, the way docs/OPERATIONS.md tells an operator
// to: find the dead-lettered sync, then run it again once the platform is
// fixed.
func TestQueuesUIInspectsAndRetriesADeadLetter(t *testing.T) {
	t.Parallel()
	var broken atomic.Bool
	broken.Store(true)
	r := selfService(t, "acme-self", func(int, put, http.Header) int {
		if broken.Load() {
			return http.StatusUnprocessableEntity
		}
		return http.StatusOK
	}, "")
	p := r.p
	s := r.serve(t)
	s.acceptOrder(t, "acme-self", "Q-1", "cr-q1", time.Now())
	s.waitFor(t, "acme-self", "Q-1", "sync failed", stateIs("cancelled", "failed"))
	opsWaitMetric(t, s.url+"/metrics", "cancelsync_dead_letter_size", 1)

	get := func(path string, auth func(*http.Request)) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
		if auth != nil {
			auth(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	bearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+adminToken) }
	browser := func(r *http.Request) { r.SetBasicAuth("ops", adminToken) }

	// Without the token: 401, with a challenge a browser answers.
	resp, _ := get("/admin/queues", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("no token: %d %q", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
	}
	if resp, _ := get("/admin/queues/api/queues", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API without a token: %d", resp.StatusCode)
	}
	// The web page, for a browser (basic auth) and for curl (bearer).
	for _, auth := range []func(*http.Request){browser, bearer} {
		resp, body := get("/admin/queues", auth)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "/admin/queues") {
			t.Fatalf("page: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}

	// Inspect: the queues, then the archived (dead-lettered) sync task.
	resp, body := get("/admin/queues/api/queues", bearer)
	var queues struct {
		Queues []struct {
			Queue    string `json:"queue"`
			Archived int    `json:"archived"`
		} `json:"queues"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &queues) != nil {
		t.Fatalf("api/queues: %d %s", resp.StatusCode, body)
	}
	archived := map[string]int{}
	for _, q := range queues.Queues {
		archived[q.Queue] = q.Archived
	}
	if archived["cancelsync-sync"] != 1 || archived["cancelsync-events"] != 0 {
		t.Fatalf("archived by queue %v, want the one dead letter in cancelsync-sync", archived)
	}
	resp, body = get("/admin/queues/api/queues/cancelsync-sync/archived_tasks", browser)
	var tasks struct {
		Tasks []struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Payload string `json:"payload"`
			Error   string `json:"error_message"`
		} `json:"tasks"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &tasks) != nil || len(tasks.Tasks) != 1 {
		t.Fatalf("archived_tasks: %d %s", resp.StatusCode, body)
	}
	task := tasks.Tasks[0]
	// A dead letter's id starts with its kind and a hash, before any "-",
	// so asynqmon's cut ids stay distinct; its failure is in its payload.
	if !strings.HasPrefix(task.ID, "dead.") || strings.Contains(strings.SplitN(task.ID, ".", 3)[1], "-") ||
		task.Type != "cancelsync:sync" || !strings.Contains(task.Payload, "422") {
		t.Fatalf("archived task %+v", task)
	}

	// Retry it: the page's "Run" button is this POST.
	broken.Store(false)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/admin/queues/api/queues/cancelsync-sync/archived_tasks/"+task.ID+":run", nil)
	bearer(req)
	if code, _ := do(t, req); code != http.StatusNoContent {
		t.Fatalf("run: %d", code)
	}
	s.waitFor(t, "acme-self", "Q-1", "synced", stateIs("cancelled", "synced"))
	opsWaitMetric(t, s.url+"/metrics", "cancelsync_dead_letter_size", 0)
	if vs := p.syncedVersions("Q-1"); len(vs) != 2 || vs[0] != 1 || vs[1] != 1 {
		t.Errorf("versions pushed %v, want [1 1]: the refused one and the retry", vs)
	}
	if code, out := runCLI(t, "dlq", "list", "--config", r.cfg); code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("dlq list after the retry: %d\n%s", code, out)
	}
}
