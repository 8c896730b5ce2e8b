// Package e2e drives the real cancelsync binary over real HTTP, on a real
// redis-server, against fake platforms that are real HTTP servers on
// loopback. Nothing here reaches past 127.0.0.1.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

var binary string

// redirected matches what a process must never log on a Redis Cluster.
var redirected = regexp.MustCompile(`\b(CROSSSLOT|MOVED|ASK|TRYAGAIN)\b`)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cancelsync-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cancelsync")
	build := exec.Command("go", "build", "-o", binary, "../cmd/cancelsync")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build cancelsync:", err)
		os.Exit(1)
	}
	if openAPI, err = loadOpenAPI(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Every client of the suite goes through the OpenAPI check
	// (openapi_test.go): http.Get and http.DefaultClient use
	// http.DefaultTransport.
	http.DefaultTransport = openAPI.transport(http.DefaultTransport)
	httpClient.Transport = openAPI.transport(httpClient.Transport)
	code := m.Run()
	if left, checked := openAPI.leftover(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d responses do not match docs/openapi.yaml:\n%s\n", len(left), checked, strings.Join(left, "\n"))
		code = 1
	} else {
		fmt.Fprintf(os.Stderr, "%d responses matched docs/openapi.yaml\n", checked)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const (
	secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	// shopifySecret is a Shopify adapter's secret: the app's client
	// secret, 32 hex digits as Shopify shows it (no whsec_).
	shopifySecret = "9f1c0ad2b7e34c6f8a51d2e3f4a5b6c7"
	adminToken    = "dev-admin-token"
)

// poll calls cond every interval until it holds, and reports whether it
// did before timeout.
func poll(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// platform is a fake platform API: a real HTTP server on loopback that
// records every sync PUT and answers as its script says.
type platform struct {
	srv    *httptest.Server
	mu     sync.Mutex
	puts   []put
	answer func(n int, p put, h http.Header) int // status for the n-th PUT (from 0), headers in h; nil: 200
}

type put struct {
	OrderID        string
	Auth           string
	IdempotencyKey string
	Body           map[string]any
}

func newPlatform(t *testing.T) *platform {
	p := &platform{}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

// newPlatformOn starts the fake platform on a given address.
func newPlatformOn(t *testing.T, addr string) *platform {
	p := &platform{}
	p.serveOn(t, addr)
	return p
}

// serveOn (re)starts p on addr, e.g. after its server was closed to play an
// outage.
func (p *platform) serveOn(t *testing.T, addr string) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may just have been ours; retry a moment if it lingers
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(p)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	t.Cleanup(srv.Close)
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	pu := put{OrderID: strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/orders/"), "/cancellation"),
		Auth: r.Header.Get("Authorization"), IdempotencyKey: r.Header.Get("Idempotency-Key")}
	_ = json.Unmarshal(raw, &pu.Body)
	p.mu.Lock()
	n := len(p.puts)
	p.puts = append(p.puts, pu)
	answer := p.answer
	p.mu.Unlock()
	status := http.StatusOK
	if answer != nil {
		status = answer(n, pu, w.Header())
	}
	w.WriteHeader(status)
}

func (p *platform) received() []put {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]put(nil), p.puts...)
}

// waitPuts waits until the platform has received n PUTs (30 s at most).
func (p *platform) waitPuts(t *testing.T, n int) {
	t.Helper()
	if !poll(30*time.Second, 5*time.Millisecond, func() bool { return len(p.received()) >= n }) {
		t.Fatalf("the platform received %d PUTs, want %d", len(p.received()), n)
	}
}

// syncedVersions lists the versions PUT for an order, in arrival order.
func (p *platform) syncedVersions(orderID string) []int {
	var vs []int
	for _, pu := range p.received() {
		if pu.OrderID == orderID {
			vs = append(vs, int(pu.Body["version"].(float64)))
		}
	}
	return vs
}

// service is one running cancelsync process.
type service struct {
	t      *testing.T
	mode   string
	cmd    *exec.Cmd
	url    string
	config string
	out    *syncBuffer
	done   chan struct{}
	code   int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// adapterConf is one adapter of a test config.
type adapterConf struct {
	id, platform, baseURL string
	extra                 string // more YAML lines for the adapter, indented 4
}

// writeConfig writes a config for the adapters on redisURL and returns its
// path and listen address.
func writeConfig(t *testing.T, redisURL string, ads []adapterConf, extra string) (path, listen string) {
	t.Helper()
	listen = freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nredis_url: %q\nadmin_token: %q\nshutdown_timeout: 10s\nworker_concurrency: 20\n", listen, redisURL, adminToken)
	fmt.Fprintf(&b, "timer_resolution: 100ms\nlog_level: debug\n%s\nadapters:\n", extra)
	for _, a := range ads {
		sec := secret
		if a.platform == "shopify" {
			sec = shopifySecret // an app's client secret, as Shopify shows it
		}
		fmt.Fprintf(&b, "  - id: %s\n    platform: %s\n    secrets: [%q]\n    api: {base_url: %q, token: \"tok-%s-secret\", timeout: 2s}\n",
			a.id, a.platform, sec, a.baseURL, a.id)
		if a.extra != "" {
			b.WriteString(a.extra)
		}
	}
	path = filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, listen
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// rig is one test's Redis, fake platform and config.
type rig struct {
	rs          *redistest.Server
	p           *platform
	ads         []adapterConf // as written, every base_url filled in
	cfg, listen string
}

// newRig starts Redis (append-only) and a fake platform that answers as
// answer says (nil: 200), and writes a config of ads with extra at its top.
// An adapter without a baseURL talks to the fake platform.
func newRig(t *testing.T, answer func(n int, p put, h http.Header) int, extra string, ads ...adapterConf) *rig {
	t.Helper()
	rs := startRedis(t)
	r := newRigOn(t, rs.URL(), answer, extra, ads...)
	r.rs = rs
	return r
}

// redisBackend starts the Redis a test runs on and returns its redis_url:
// one server (single) or a Redis Cluster (onCluster, cluster_test.go).
type redisBackend func(t *testing.T) string

func single(t *testing.T) string { return startRedis(t).URL() }

// clientOf is a client of the Redis at url, as the binary opens it.
func clientOf(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	opt, err := redisconn.Parse(url, "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := opt.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newRigOn is newRig on the Redis at url (rs is nil).
func newRigOn(t *testing.T, url string, answer func(n int, p put, h http.Header) int, extra string, ads ...adapterConf) *rig {
	t.Helper()
	r := &rig{p: newPlatform(t)}
	r.p.answer = answer
	for _, a := range ads {
		if a.baseURL == "" {
			a.baseURL = r.p.srv.URL
		}
		r.ads = append(r.ads, a)
	}
	r.cfg, r.listen = writeConfig(t, url, r.ads, extra)
	return r
}

// selfService is a rig of one selfservice adapter.
func selfService(t *testing.T, id string, answer func(n int, p put, h http.Header) int, adapterExtra string) *rig {
	t.Helper()
	return newRig(t, answer, "", adapterConf{id: id, platform: "selfservice", extra: adapterExtra})
}

// serve starts `cancelsync serve` on the rig's config.
func (r *rig) serve(t *testing.T) *service {
	t.Helper()
	return start(t, "serve", r.cfg, r.listen)
}

// start runs `cancelsync <mode> --config path` and waits until it is ready.
func start(t *testing.T, mode, path, listen string) *service {
	t.Helper()
	s := &service{t: t, mode: mode, config: path, url: "http://" + listen, out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(binary, mode, "--config", path)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = s.cmd.Wait()
		s.code = s.cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.signal(syscall.SIGKILL)
		<-s.done
		checkAgainstOpenAPI(t, s.url)
		// On a Redis Cluster no script or transaction may span slots, and
		// redirections are the client's business: none ever surfaces.
		if m := redirected.FindString(s.out.String()); m != "" {
			t.Errorf("%s logged %q", mode, m)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", mode, s.out.String())
		}
	})
	if mode != "worker" {
		s.waitUp(t, s.url+"/healthz", 0)
	}
	return s
}

// waitUp polls url until it answers want (0: anything), 20 s at most, and
// fails the test if the process exits first.
func (s *service) waitUp(t *testing.T, url string, want int) {
	t.Helper()
	up := poll(20*time.Second, 20*time.Millisecond, func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return true
			}
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited with %d:\n%s", s.mode, s.code, s.out.String())
		default:
		}
		return false
	})
	if !up {
		t.Fatalf("%s not up:\n%s", url, s.out.String())
	}
}

func (s *service) signal(sig os.Signal) {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// stop sends SIGTERM and returns the exit code.
func (s *service) stop() int {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Fatal("no exit within 30 s of SIGTERM")
	}
	return s.code
}

// stopClean sends SIGTERM and fails the test unless the process exits 0.
func (s *service) stopClean(t *testing.T) {
	t.Helper()
	if code := s.stop(); code != 0 {
		t.Fatalf("%s exited with %d after SIGTERM", s.mode, code)
	}
}

// signedRequest is a webhook POST of body to url, signed at ts under id.
func signedRequest(url, adapter, kind, id string, ts time.Time, body []byte) (*http.Request, error) {
	sig, err := standardwebhooks.Sign(secret, id, ts, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/webhooks/"+adapter+"/"+kind, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	return req, nil
}

// post signs and posts a webhook.
func (s *service) post(t *testing.T, adapter, kind, webhookID string, body any) (int, map[string]any) {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		raw, _ = json.Marshal(body)
	}
	req, err := signedRequest(s.url, adapter, kind, webhookID, time.Now(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// accept posts a webhook under a new webhook-id and fails the test unless
// it is accepted (202).
func (s *service) accept(t *testing.T, adapter, kind string, body any) {
	t.Helper()
	if code, out := s.post(t, adapter, kind, newID(), body); code != http.StatusAccepted {
		t.Fatalf("%s %s: %d %v", adapter, kind, code, out)
	}
}

// acceptOrder posts a paid order's snapshot (placed an hour before now) and
// a buyer's cancellation request for it, both accepted.
func (s *service) acceptOrder(t *testing.T, adapter, orderID, requestID string, now time.Time) {
	t.Helper()
	s.accept(t, adapter, "orders", orderBody(orderID, "paid", now.Add(-time.Hour), now, nil))
	s.accept(t, adapter, "cancellations", requestBody(orderID, requestID, "buyer", now))
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// httpClient is a keep-alive client with a timeout, for many goroutines.
var httpClient = &http.Client{
	Timeout:   20 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
}

// getView reads an order's view from the service at url: the status, and
// the body as JSON (an error only for a 200 that is not).
func getView(url, adapter, orderID string) (int, map[string]any, error) {
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/adapters/"+adapter+"/orders/"+orderID, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil && resp.StatusCode == http.StatusOK {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, v, nil
}

// view reads the order's view; status 404 gives nil.
func (s *service) view(t *testing.T, adapter, orderID string) map[string]any {
	t.Helper()
	code, v, err := getView(s.url, adapter, orderID)
	if err != nil {
		t.Fatal(err)
	}
	if code == http.StatusNotFound {
		return nil
	}
	if code != http.StatusOK {
		t.Fatalf("view %s/%s: %d %v", adapter, orderID, code, v)
	}
	return v
}

// waitFor polls the order's view until cond holds (30 s at most).
func (s *service) waitFor(t *testing.T, adapter, orderID, what string, cond func(v map[string]any) bool) map[string]any {
	t.Helper()
	var v map[string]any
	if !poll(30*time.Second, 50*time.Millisecond, func() bool {
		v = s.view(t, adapter, orderID)
		return v != nil && cond(v)
	}) {
		t.Fatalf("%s/%s: timed out waiting for %s; last view %v", adapter, orderID, what, v)
	}
	return v
}

// stateIs holds when the order's cancellation is in state and its sync in syncState.
func stateIs(state, syncState string) func(v map[string]any) bool {
	return func(v map[string]any) bool {
		c, _ := v["cancellation"].(map[string]any)
		sy, _ := v["sync"].(map[string]any)
		return c != nil && c["state"] == state && (syncState == "" || sy != nil && sy["state"] == syncState)
	}
}

// newestRequest is the first of the view's requests (newest first), nil
// when it has none.
func newestRequest(v map[string]any) map[string]any {
	rs, _ := v["requests"].([]any)
	if len(rs) == 0 {
		return nil
	}
	r, _ := rs[0].(map[string]any)
	return r
}

func field(v map[string]any, path ...string) any {
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// runCLI runs a one-shot command and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	// A one-shot command that hangs is killed rather than hang the suite.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String()
}

func startRedis(t *testing.T) *redistest.Server {
	return redistest.Start(t, redistest.Options{AppendOnly: true})
}

// order and cancellation payloads (docs/API.md §3).
func orderBody(id, status string, placed, updated time.Time, extra map[string]any) map[string]any {
	data := map[string]any{
		"order_id": id, "status": status, "placed_at": placed.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339),
		"buyer_id": "b-17", "seller_id": "s-4", "total": map[string]any{"amount": "42.50", "currency": "USD"},
		"items": []any{map[string]any{"sku": "JKT-M", "quantity": 1, "price": "42.50"}}, "shipped_at": nil,
	}
	for k, v := range extra {
		data[k] = v
	}
	return map[string]any{"type": "order.updated", "data": data}
}

func requestBody(orderID, requestID, initiator string, at time.Time) map[string]any {
	return map[string]any{"type": "cancellation.requested", "data": map[string]any{
		"order_id": orderID, "request_id": requestID, "initiator": initiator, "reason": "changed_mind",
		"comments": "Ordered the wrong size", "occurred_at": at.UTC().Format(time.RFC3339)}}
}

func responseBody(orderID, requestID, responder, decision string, at time.Time) map[string]any {
	return map[string]any{"type": "cancellation.responded", "data": map[string]any{
		"order_id": orderID, "request_id": requestID, "responder": responder, "decision": decision,
		"occurred_at": at.UTC().Format(time.RFC3339)}}
}

var idSeq struct {
	sync.Mutex
	n int
}

func newID() string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("msg_e2e_%d_%d", time.Now().UnixNano(), idSeq.n)
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

func assertNoSecrets(t *testing.T, out string, extra ...string) {
	t.Helper()
	for _, s := range append([]string{secret, strings.TrimPrefix(secret, "whsec_")}, extra...) {
		if strings.Contains(out, s) {
			t.Fatalf("process output contains a secret (%d chars)", len(s))
		}
	}
}
