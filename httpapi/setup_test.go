package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// The names of the test bundle (webhookstest): testSecret signs the fake
// platform's webhooks; tests assert that it never shows up in a response
// or a log line.
const (
	testSecret        = webhookstest.Secret
	testAdapter       = webhookstest.Adapter
	ordersOnlyAdapter = webhookstest.OrdersOnlyAdapter
	testToken         = webhookstest.Token
)

// The fakes both the ingest's and the router's tests use (webhookstest).
type (
	fakeInbound    = webhookstest.Inbound
	pingingInbound = webhookstest.PingingInbound
	fakeEnqueuer   = webhookstest.Enqueuer
	syncBuffer     = webhookstest.LogBuffer
)

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

// The client side both the ingest's and the router's tests use (webhookstest).
type webhook = webhookstest.Webhook

var (
	do          = webhookstest.Do
	wantProblem = webhookstest.WantProblem
)

const orderBody = `{"type":"order.created","data":{"order_id":"PM-10023","status":"paid"}}`

func (b *bundle) post(t *testing.T, w webhook) (*http.Response, []byte) {
	t.Helper()
	return webhookstest.Post(t, b.url, b.now, w)
}

func (b *bundle) get(t *testing.T, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	return webhookstest.Get(t, b.url+path, header)
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
