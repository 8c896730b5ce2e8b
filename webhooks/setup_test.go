package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// testSecret signs the fake platform's webhooks. Tests assert that it never
// shows up in a response or a log line.
const (
	testSecret  = "test-secret-do-not-leak"
	testAdapter = "acme-posh"
	// ordersOnlyAdapter takes no /cancellations and answers pings.
	ordersOnlyAdapter = "acme-store"
	testToken         = "admin-token-123"
)

// fakeInbound is a tiny platform: X-Test-Id, X-Test-Timestamp (Unix
// seconds) and X-Test-Signature = hex HMAC-SHA256(secret, id.ts.body). Its
// payloads are {"type": ..., "data": {"order_id": ...}}.
type fakeInbound struct {
	secret   []byte
	verifies atomic.Int64
}

func (f *fakeInbound) Verify(h http.Header, body []byte, now time.Time) (string, error) {
	f.verifies.Add(1)
	id, ts, sig := h.Get("X-Test-Id"), h.Get("X-Test-Timestamp"), h.Get("X-Test-Signature")
	if id == "" || ts == "" || sig == "" {
		return "", fmt.Errorf("missing header: %w", platform.ErrSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", fmt.Errorf("bad timestamp: %w", platform.ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "", fmt.Errorf("skew %s: %w", d, platform.ErrTimestamp)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, sign(f.secret, id, ts, body)) {
		return "", fmt.Errorf("mismatch: %w", platform.ErrSignature)
	}
	return id, nil
}

func (f *fakeInbound) Decode(kind platform.Kind, h http.Header, body []byte) (platform.Event, error) {
	if h.Get("X-Test-Panic") != "" {
		panic("decoder bug")
	}
	if h.Get("X-Test-Ignore") != "" {
		return platform.Event{}, fmt.Errorf("topic %s: %w", h.Get("X-Test-Ignore"), platform.ErrIgnored)
	}
	var p struct {
		Type platform.EventType `json:"type"`
		Data struct {
			OrderID string `json:"order_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "", Message: "malformed JSON"}}}
	}
	prefix := "cancellation."
	if kind == platform.KindOrders {
		prefix = "order."
	}
	if !strings.HasPrefix(string(p.Type), prefix) {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "type", Message: "not an event for /" + string(kind)}}}
	}
	if p.Data.OrderID == "" {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "data.order_id", Message: "required"}}}
	}
	ev := platform.Event{Type: p.Type}
	if kind == platform.KindOrders {
		ev.Order = &platform.Order{ID: p.Data.OrderID}
	} else {
		ev.Cancellation = &platform.Cancellation{Type: p.Type, OrderID: p.Data.OrderID}
	}
	return ev, nil
}

// pingingInbound is a fakeInbound that also recognises an unsigned
// form-encoded "webhook_id=N" hello, as WooCommerce sends one.
type pingingInbound struct{ *fakeInbound }

func (p pingingInbound) Ping(_ http.Header, body []byte) (string, bool) {
	id, ok := strings.CutPrefix(string(body), "webhook_id=")
	if !ok || id == "" || strings.ContainsAny(id, "&=") {
		return "", false
	}
	return id, true
}

func sign(secret []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// fakeEnqueuer remembers accepted webhook ids, like the Asynq task id does.
type fakeEnqueuer struct {
	mu         sync.Mutex
	err        error
	seen       map[string]bool
	deliveries []tasks.Delivery
}

func (f *fakeEnqueuer) Enqueue(_ context.Context, d tasks.Delivery) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	key := d.AdapterID + "/" + d.WebhookID
	if f.seen[key] {
		return true, nil
	}
	f.seen[key] = true
	f.deliveries = append(f.deliveries, d)
	return false, nil
}

func (f *fakeEnqueuer) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeEnqueuer) accepted() []tasks.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tasks.Delivery(nil), f.deliveries...)
}

// syncBuffer is a log sink safe for the server's goroutines.
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

// bundle is a running router and its collaborators.
type bundle struct {
	url     string
	now     time.Time
	inbound *fakeInbound
	enq     *fakeEnqueuer
	metrics *Metrics
	reg     *prometheus.Registry
	logs    *syncBuffer
}

var testNow = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// newRouter is ingest on a bare gin engine, with what the router (httpapi)
// puts in front of it that ingest relies on: the request id on the response.
func newRouter(o Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		id := c.Request.Header.Get(headerRequestID)
		if id == "" {
			id = "req-test"
		}
		c.Writer.Header().Set(headerRequestID, id)
	})
	Mount(r, o)
	return r
}

// setup starts a real HTTP server over Mount with one adapter,
// testAdapter, a fresh metrics registry and a fixed clock. mods adjust the
// options before the router is built.
func setup(t *testing.T, mods ...func(*Options)) *bundle {
	t.Helper()
	b := &bundle{
		now:     testNow,
		inbound: &fakeInbound{secret: []byte(testSecret)},
		enq:     &fakeEnqueuer{seen: map[string]bool{}},
		reg:     prometheus.NewRegistry(),
		logs:    &syncBuffer{},
	}
	b.metrics = NewMetrics(b.reg)
	o := Options{
		Adapters: map[string]*platform.Adapter{
			testAdapter: {ID: testAdapter, Platform: "poshmark", Inbound: map[platform.Kind]platform.Inbound{
				platform.KindOrders: b.inbound, platform.KindCancellations: b.inbound,
			}},
			// A store platform: orders only, and a Pinger.
			ordersOnlyAdapter: {ID: ordersOnlyAdapter, Platform: "woocommerce", Inbound: map[platform.Kind]platform.Inbound{
				platform.KindOrders: pingingInbound{b.inbound},
			}},
		},
		Enqueuer:     b.enq,
		MaxBodyBytes: 1024,
		Logger:       slog.New(slog.NewJSONHandler(b.logs, nil)),
		Metrics:      b.metrics,
		Now:          func() time.Time { return b.now },
	}
	for _, m := range mods {
		m(&o)
	}
	srv := httptest.NewServer(newRouter(o))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// webhook is one delivery to post.
type webhook struct {
	path        string // default /webhooks/acme-posh/orders
	id          string // default msg_1
	ts          time.Time
	body        string
	contentType string // default application/json; "-" sends none
	badSig      bool
	unsigned    bool
	chunked     bool // hide the length: Transfer-Encoding: chunked
	header      http.Header
}

const orderBody = `{"type":"order.created","data":{"order_id":"PM-10023","status":"paid"}}`
const cancelBody = `{"type":"cancellation.requested","data":{"order_id":"PM-10023","request_id":"cr-881"}}`

func (b *bundle) post(t *testing.T, w webhook) (*http.Response, []byte) {
	t.Helper()
	if w.path == "" {
		w.path = "/webhooks/" + testAdapter + "/orders"
	}
	if w.id == "" {
		w.id = "msg_1"
	}
	if w.ts.IsZero() {
		w.ts = b.now
	}
	var body io.Reader = strings.NewReader(w.body)
	if w.chunked {
		body = io.MultiReader(strings.NewReader(w.body)) // not a type net/http can size
	}
	req, err := http.NewRequest(http.MethodPost, b.url+w.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if w.chunked {
		req.ContentLength = -1
	}
	switch w.contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", w.contentType)
	}
	if !w.unsigned {
		ts := strconv.FormatInt(w.ts.Unix(), 10)
		sig := sign([]byte(testSecret), w.id, ts, []byte(w.body))
		if w.badSig {
			sig[0] ^= 0xff
		}
		req.Header.Set("X-Test-Id", w.id)
		req.Header.Set("X-Test-Timestamp", ts)
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sig))
	}
	for k, vs := range w.header {
		req.Header[k] = vs
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// received is cancelsync_webhooks_received_total for the labels.
func (b *bundle) received(adapter, kind, status string) float64 {
	return counterValue(b.metrics.received.WithLabelValues(adapter, kind, status))
}

// problemDoc is an RFC 9457 body as a client reads it.
type problemDoc struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []platform.FieldError `json:"errors"`
}

// wantProblem asserts status, the problem+json media type, a complete
// document of kind typ, and that nothing secret leaked into it.
func wantProblem(t *testing.T, resp *http.Response, body []byte, status int, typ string) problemDoc {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p problemDoc
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Type != problem.Base+typ || p.Status != status || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want type %s, status %d, a title and a detail", p, problem.Base+typ, status)
	}
	for _, secret := range []string{testSecret, testToken, "PM-10023"} {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("problem body leaks %q: %s", secret, body)
		}
	}
	return p
}

// Compile-time checks that the fakes satisfy the interfaces they stand in for.
var (
	_ platform.Inbound = (*fakeInbound)(nil)
	_ platform.Pinger  = pingingInbound{}
	_ Enqueuer         = (*fakeEnqueuer)(nil)
)

var errRedisDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

// countingEnqueuer accepts everything, for benchmarks.
type countingEnqueuer struct{ n atomic.Int64 }

func (c *countingEnqueuer) Enqueue(context.Context, tasks.Delivery) (bool, error) {
	c.n.Add(1)
	return false, nil
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

// counterValue reads a counter, like prometheus/testutil.ToFloat64 (which
// this module can't import: it needs a module go.mod doesn't list).
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err) // a plain counter never fails to write
	}
	return m.GetCounter().GetValue()
}

// seriesCount is how many series c currently exports.
func seriesCount(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	n := 0
	for range ch {
		n++
	}
	return n
}
