package httpapi

import (
	"bytes"
	"context"
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
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/webhooks"
	"github.com/cancelsync/cancelsync/webhooks/webhookstest"
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

// The fakes both the ingest's and the router's tests use (webhookstest).
type (
	fakeInbound    = webhookstest.Inbound
	pingingInbound = webhookstest.PingingInbound
	fakeEnqueuer   = webhookstest.Enqueuer
	syncBuffer     = webhookstest.LogBuffer
)

var sign = webhookstest.Sign

type fakeViews struct {
	views map[string]*order.OrderView
	err   error
}

func (f *fakeViews) OrderView(_ context.Context, adapterID, orderID string) (*order.OrderView, error) {
	if f.err != nil {
		return nil, f.err
	}
	if v, ok := f.views[adapterID+"/"+orderID]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("view %s: %w", orderID, orderstore.ErrNotFound)
}

type fakePinger struct{ err error }

func (f *fakePinger) Ping(context.Context) error { return f.err }

// bundle is a running router and its collaborators.
type bundle struct {
	url     string
	now     time.Time
	inbound *fakeInbound
	enq     *fakeEnqueuer
	views   *fakeViews
	ready   *fakePinger
	metrics *webhooks.Metrics
	reg     *prometheus.Registry
	logs    *syncBuffer
}

var testNow = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// setup starts a real HTTP server over NewRouter with one adapter,
// testAdapter, a fresh metrics registry and a fixed clock. mods adjust the
// options before the router is built.
func setup(t *testing.T, mods ...func(*Options)) *bundle {
	t.Helper()
	b := &bundle{
		now:     testNow,
		inbound: &fakeInbound{Secret: []byte(testSecret)},
		enq:     &fakeEnqueuer{},
		views:   &fakeViews{views: map[string]*order.OrderView{}},
		ready:   &fakePinger{},
		reg:     prometheus.NewRegistry(),
		logs:    &syncBuffer{},
	}
	b.metrics = webhooks.NewMetrics(b.reg)
	log := slog.New(slog.NewJSONHandler(b.logs, nil))
	o := Options{Webhooks: webhooks.Options{
		Adapters: map[string]*platform.Adapter{
			testAdapter: {ID: testAdapter, Platform: "poshmark", Inbound: map[platform.Kind]platform.Inbound{
				platform.KindOrders: b.inbound, platform.KindCancellations: b.inbound,
			}},
			// A store platform: orders only, and a Pinger.
			ordersOnlyAdapter: {ID: ordersOnlyAdapter, Platform: "woocommerce", Inbound: map[platform.Kind]platform.Inbound{
				platform.KindOrders: pingingInbound{Inbound: b.inbound},
			}},
		},
		Enqueuer:     b.enq,
		MaxBodyBytes: 1024,
		Logger:       log,
		Metrics:      b.metrics,
		Now:          func() time.Time { return b.now },
	},
		Views:      b.views,
		Ready:      b.ready,
		AdminToken: testToken,
		Logger:     log,
		Gatherer:   b.reg,
	}
	for _, m := range mods {
		m(&o)
	}
	srv := httptest.NewServer(NewRouter(o))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// guarded serves the routes mount adds behind the router's own middleware
// (recovery, request id, the /v1 and /admin guards), for tests of the
// guards on routes NewRouter does not mount.
func guarded(t *testing.T, token string, mount func(*gin.Engine)) *bundle {
	t.Helper()
	r := newEngine()
	r.Use(recovery(slog.New(slog.DiscardHandler)), requestID, adminPaths(token, nil))
	r.NoRoute(func(c *gin.Context) { problem.Write(c, http.StatusNotFound, problem.NotFound, "no such route") })
	mount(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &bundle{url: srv.URL}
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

func (b *bundle) get(t *testing.T, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
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
	_ platform.Inbound  = (*fakeInbound)(nil)
	_ platform.Pinger   = pingingInbound{}
	_ webhooks.Enqueuer = (*fakeEnqueuer)(nil)
	_ OrderViews        = (*fakeViews)(nil)
	_ Pinger            = (*fakePinger)(nil)
)

var errRedisDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
