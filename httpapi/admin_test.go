package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// answer is a handler that always answers 200 with body.
func answer(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
}

func basic(user, password string) http.Header {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header
}

func TestAdminUIAcceptsBasicAuthAndRefusesCrossOriginWrites(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.QueuesUI = answer("ui") })
	// The browser's way: basic auth, any user, the token as the password.
	resp, body := b.get(t, QueuesUIPath, basic("ops", testToken))
	if resp.StatusCode != http.StatusOK || string(body) != "ui" {
		t.Errorf("basic auth: %d %s", resp.StatusCode, body)
	}
	wantNoFraming(t, resp)
	resp, body = b.get(t, QueuesUIPath, basic("ops", "wrong"))
	wantNoFraming(t, resp)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	if got := resp.Header.Values("WWW-Authenticate"); len(got) != 2 || !strings.HasPrefix(got[0], "Basic ") || got[1] != "Bearer" {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge (for browsers) and Bearer", got)
	}
	// The read API stays bearer-only (docs/API.md §6).
	resp, body = b.get(t, "/v1/adapters/acme-posh/orders/PM-10023", basic("ops", testToken))
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")

	post := func(h http.Header) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, b.url+QueuesUIPath, nil)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, _ := do(t, req)
		return resp
	}
	auth := basic("ops", testToken)
	if resp := post(auth); resp.StatusCode != http.StatusOK {
		t.Errorf("POST without browser headers (curl): %d", resp.StatusCode)
	}
	same := auth.Clone()
	same.Set("Sec-Fetch-Site", "same-origin")
	if resp := post(same); resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin POST: %d", resp.StatusCode)
	}
	cross := auth.Clone()
	cross.Set("Sec-Fetch-Site", "cross-site")
	if resp := post(cross); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST with the browser's cached credentials: %d, want 403", resp.StatusCode)
	}
	if resp := post(bearer(testToken)); resp.StatusCode != http.StatusOK {
		t.Errorf("bearer POST: %d", resp.StatusCode)
	}
}

func TestAdminUIRefusesEveryoneWithoutAToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.AdminToken = ""
		o.QueuesUI = answer("ui")
	})
	for _, h := range []http.Header{basic("", ""), basic("ops", ""), bearer("")} {
		resp, body := b.get(t, QueuesUIPath, h)
		wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	}
}

// TestQueuesUIServesAsynqmon mounts the real asynqmon on a Redis holding a
// dead-lettered task and drives it the way its web page does: the page,
// the queue list, the archived task, and "run" on it.
func TestQueuesUIServesAsynqmon(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	conn := asynq.RedisClientOpt{Addr: mr.Addr()}
	client := asynq.NewClient(conn)
	t.Cleanup(func() { _ = client.Close() })
	info, err := client.Enqueue(asynq.NewTask("cancelsync:sync", []byte(`{"a":"acme-posh","o":"PM-1","v":1}`)),
		asynq.Queue("cancelsync-sync"), asynq.TaskID("sync:acme-posh:PM-1:1"))
	if err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspector(conn)
	t.Cleanup(func() { _ = inspector.Close() })
	if err := inspector.ArchiveTask(info.Queue, info.ID); err != nil {
		t.Fatal(err)
	}

	ui, closeUI := NewQueuesUI(conn, false)
	t.Cleanup(func() { _ = closeUI() })
	b := setup(t, func(o *Options) { o.QueuesUI = ui })

	resp, body := b.get(t, QueuesUIPath, nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	resp, body = b.get(t, QueuesUIPath+"/api/queues", nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")

	for _, path := range []string{QueuesUIPath, QueuesUIPath + "/", QueuesUIPath + "/queues/cancelsync-sync"} {
		resp, body = b.get(t, path, bearer(testToken))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), "<html") || !strings.Contains(string(body), QueuesUIPath) {
			t.Errorf("GET %s: %d %s %.200s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
	}

	resp, body = b.get(t, QueuesUIPath+"/api/queues", basic("ops", testToken))
	var queues struct {
		Queues []struct {
			Queue    string `json:"queue"`
			Archived int    `json:"archived"`
		} `json:"queues"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &queues) != nil || len(queues.Queues) != 1 ||
		queues.Queues[0].Queue != "cancelsync-sync" || queues.Queues[0].Archived != 1 {
		t.Fatalf("GET api/queues: %d %s", resp.StatusCode, body)
	}
	resp, body = b.get(t, QueuesUIPath+"/api/queues/cancelsync-sync/archived_tasks", bearer(testToken))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "sync:acme-posh:PM-1:1") {
		t.Fatalf("GET archived_tasks: %d %s", resp.StatusCode, body)
	}

	req, _ := http.NewRequest(http.MethodPost, b.url+QueuesUIPath+"/api/queues/cancelsync-sync/archived_tasks/sync:acme-posh:PM-1:1:run", nil)
	req.Header = bearer(testToken)
	if resp, body := do(t, req); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("run archived task: %d %s", resp.StatusCode, body)
	}
	if q, err := inspector.GetQueueInfo("cancelsync-sync"); err != nil || q.Archived != 0 || q.Pending != 1 {
		t.Fatalf("after run: %+v %v", q, err)
	}
}

func TestOpsRouter(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ops_test_total", Help: "test"})
	reg.MustRegister(c)
	ready := &fakePinger{}
	srv := httptest.NewServer(NewOpsRouter(ready, reg, nil))
	t.Cleanup(srv.Close)
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		resp, body := do(t, req)
		return resp, string(body)
	}
	if resp, body := get("/metrics"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "ops_test_total 0") {
		t.Errorf("/metrics: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
	if resp, _ := get("/readyz"); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d", resp.StatusCode)
	}
	ready.err = errRedisDown
	if resp, _ := get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Redis down: %d", resp.StatusCode)
	}
	for _, path := range []string{"/webhooks/acme-posh/orders", "/v1/adapters/acme-posh/orders/PM-1", "/admin/queues"} {
		if resp, _ := get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s on the ops listener: %d, want 404", path, resp.StatusCode)
		}
	}
}

// wantNoFraming checks that a response under /admin may not be framed by
// any page (clickjacking of its write actions).
func wantNoFraming(t *testing.T, resp *http.Response) {
	t.Helper()
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", got)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != "frame-ancestors 'none'" {
		t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", got)
	}
}
