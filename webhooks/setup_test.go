package webhooks

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
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

var sign = webhookstest.Sign

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
		id := c.Request.Header.Get(accesslog.HeaderRequestID)
		if id == "" {
			id = "req-test"
		}
		c.Writer.Header().Set(accesslog.HeaderRequestID, id)
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
		inbound: &fakeInbound{Secret: []byte(testSecret)},
		enq:     &fakeEnqueuer{},
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
				platform.KindOrders: pingingInbound{Inbound: b.inbound},
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

// The client side both the ingest's and the router's tests use (webhookstest).
type webhook = webhookstest.Webhook

var wantProblem = webhookstest.WantProblem

const orderBody = `{"type":"order.created","data":{"order_id":"PM-10023","status":"paid"}}`
const cancelBody = `{"type":"cancellation.requested","data":{"order_id":"PM-10023","request_id":"cr-881"}}`

func (b *bundle) post(t *testing.T, w webhook) (*http.Response, []byte) {
	t.Helper()
	return webhookstest.Post(t, b.url, b.now, w)
}

// received is cancelsync_webhooks_received_total for the labels.
func (b *bundle) received(adapter, kind, status string) float64 {
	return counterValue(b.metrics.received.WithLabelValues(adapter, kind, status))
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
