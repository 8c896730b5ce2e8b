// Package webhooks is the HTTP edge of cancelsync (docs/API.md §3 and §6): the
// Gin router, request ids, body limits, problem+json errors, the read API and
// the health, readiness and metrics endpoints. For an inbound webhook it
// checks the route and media type, reads the body once, hands it to the
// adapter's Inbound to verify and decode, and enqueues the result. It decides
// nothing about cancellations and knows no platform's headers: adapters do.
//
// Routes:
//
//	POST /webhooks/:adapter/orders          ingest an order snapshot
//	POST /webhooks/:adapter/cancellations   ingest a cancellation event
//	GET  /v1/adapters/:adapter/orders/:id   the order's view (bearer admin token)
//	GET  /healthz                           process alive
//	GET  /readyz                            Options.Ready reachable
//	GET  /metrics                           Prometheus text format (when Options.Gatherer is set)
//	GET  /openapi.yaml                      docs/openapi.yaml, the document of every route
//
// Every path under /v1 and /admin needs the admin token, including routes
// mounted through Options.Extra; with Options.V1Auth set, /v1 takes the
// merchant console's scoped tokens instead (people/console).
package webhooks

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/docs"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/tasks"
)

// Enqueuer makes a verified delivery durable: queued for the workers, or
// (jobs.Intake) an order snapshot that needs no worker stored at once.
type Enqueuer interface {
	// Enqueue returns once d is durable. duplicate reports that a delivery
	// with the same adapter and webhook id was already accepted within the
	// dedup window; it is then not queued again. Any error means nothing
	// was accepted.
	Enqueue(ctx context.Context, d tasks.Delivery) (duplicate bool, err error)
}

// OrderViews reads the read API's document for one order.
type OrderViews interface {
	// OrderView returns orderstore.ErrNotFound for an order the store knows
	// nothing about.
	OrderView(ctx context.Context, adapterID, orderID string) (*order.OrderView, error)
}

// Pinger reports whether the process can do its work (Redis reachable).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Warner is a Pinger that also reports settings to fix that do not stop the
// work today but weaken a guarantee (a Redis without appendonly): /readyz
// lists them in its body and still answers 200. Warnings is asked only
// after a successful Ping.
type Warner interface {
	Warnings(ctx context.Context) []string
}

// Defaults applied by NewRouter to zero Options fields.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultEnqueueTimeout = 3 * time.Second
	readyTimeout          = 1500 * time.Millisecond
)

// Options configure the router. Adapters and Enqueuer are required.
type Options struct {
	// Adapters are the configured adapters by id.
	Adapters map[string]*adapters.Adapter
	// Lookup, when set, replaces Adapters: it is asked once per request,
	// so a request finishes with the adapter it started with and the next
	// one sees a reloaded set (README.md, Live configuration). Adapters then
	// only names the series Metrics creates at zero.
	Lookup func(id string) (*adapters.Adapter, bool)
	// Enqueuer takes verified deliveries.
	Enqueuer Enqueuer
	// Views serves the read API; nil leaves /v1 unmounted.
	Views OrderViews
	// Ready backs /readyz; nil means always ready. When it is also a
	// Warner, its warnings are in /readyz's body.
	Ready Pinger
	// AdminToken guards /v1 and /admin. Empty refuses every request there.
	AdminToken string
	// MaxBodyBytes caps a webhook body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// EnqueueTimeout bounds one Enqueue call so a hung Redis becomes a 503
	// the sender retries (default DefaultEnqueueTimeout).
	EnqueueTimeout time.Duration
	// Logger gets one line per ingest request; nil discards.
	Logger *slog.Logger
	// Metrics counts ingest requests; nil counts nothing.
	Metrics *Metrics
	// Gatherer is served on /metrics; nil leaves /metrics unmounted.
	Gatherer prometheus.Gatherer
	// Now is the clock for signature timestamps and ReceivedAt (default
	// time.Now). Latency is always measured on the real clock.
	Now func() time.Time
	// Extra mounts more routes after the built-in ones, e.g. /admin/queues.
	// Routes under /admin get the admin token check without asking.
	Extra func(*gin.Engine)
	// V1Auth, when set, guards /v1 in place of the admin token check: the
	// merchant console's scoped tokens (people/console).
	V1Auth gin.HandlerFunc
}

func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.EnqueueTimeout <= 0 {
		o.EnqueueTimeout = DefaultEnqueueTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lookup == nil {
		m := o.Adapters
		o.Lookup = func(id string) (*adapters.Adapter, bool) {
			ad, ok := m[id]
			return ad, ok
		}
	}
	return o
}

// NewRouter builds the HTTP handler. It panics when Enqueuer is nil, a
// wiring mistake that would otherwise turn every webhook into a 503.
func NewRouter(o Options) http.Handler {
	if o.Enqueuer == nil {
		panic("webhooks: Options.Enqueuer is nil")
	}
	o = o.withDefaults()

	// Release mode keeps gin from printing routes and warnings to stdout.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// A redirect is not an answer a webhook sender acts on, and the
	// trailing-slash redirect trusts X-Forwarded-Prefix.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false

	r.Use(recovery(o.Logger), requestID, adminPaths(o.AdminToken, o.V1Auth))
	r.NoRoute(notFound(o.Lookup))
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, http.StatusMethodNotAllowed, probMethodNotAllowed, "method not allowed on this route")
	})

	for id := range o.Adapters {
		o.Metrics.initAdapter(id)
	}
	in := &ingest{o: o}
	r.POST("/webhooks/:adapter/orders", in.handler(adapters.KindOrders))
	r.POST("/webhooks/:adapter/cancellations", in.handler(adapters.KindCancellations))

	if o.Views != nil {
		rd := &reader{adapter: o.Lookup, views: o.Views, log: o.Logger}
		r.GET("/v1/adapters/:adapter/orders/:order_id", rd.orderView)
	}

	mountProbes(r, o)
	r.GET("/openapi.yaml", openAPI)
	if o.Extra != nil {
		o.Extra(r)
	}
	return r
}

// mountProbes mounts /healthz, /readyz and, with a Gatherer, /metrics:
// what the main router and the ops router share.
func mountProbes(r *gin.Engine, o Options) {
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(o.Ready, o.Logger))
	if o.Gatherer != nil {
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{})))
	}
}

// openAPI serves docs/openapi.yaml, the document every response here is
// checked against in the e2e tests. It is public, like the routes it lists.
func openAPI(c *gin.Context) {
	c.Writer.Header().Set("Content-Type", "application/yaml")
	c.Writer.WriteHeader(http.StatusOK)
	_, _ = c.Writer.Write(docs.OpenAPI)
}

func healthz(c *gin.Context) {
	writeJSON(c, http.StatusOK, []byte(`{"status":"ok"}`))
}

func readyz(p Pinger, log *slog.Logger) gin.HandlerFunc {
	type readiness struct {
		err      error
		warnings []string
	}
	return func(c *gin.Context) {
		var warnings []string
		if p != nil {
			// The answer must not wait for the client's own timeouts (a new
			// connection's handshake with a stalled Redis ignores the
			// context): past readyTimeout the ping is left to finish alone.
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			done := make(chan readiness, 1)
			go func() {
				var r readiness
				r.err = p.Ping(ctx)
				if w, ok := p.(Warner); ok && r.err == nil {
					r.warnings = w.Warnings(ctx)
				}
				done <- r
			}()
			var r readiness
			select {
			case r = <-done:
			case <-ctx.Done():
				r.err = ctx.Err()
			}
			cancel()
			if r.err != nil {
				// The error may name hosts; it goes to the log, not the body.
				log.LogAttrs(c.Request.Context(), slog.LevelWarn, "not ready",
					slog.String("error", r.err.Error()), slog.String("request_id", requestIDOf(c)))
				writeProblem(c, http.StatusServiceUnavailable, probUnavailable, "not ready")
				return
			}
			warnings = r.warnings
		}
		if len(warnings) == 0 {
			writeJSON(c, http.StatusOK, []byte(`{"status":"ok"}`))
			return
		}
		body, err := json.Marshal(struct {
			Status   string   `json:"status"`
			Warnings []string `json:"warnings"`
		}{"ok", warnings})
		if err != nil { // strings only: cannot happen
			panic(err)
		}
		writeJSON(c, http.StatusOK, body)
	}
}

// recovery turns a panic into a problem+json 500 and a logged stack, so one
// bad request can't take the process down or leak a Go stack to a client.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's way to drop the connection quietly
			}
			log.LogAttrs(c.Request.Context(), slog.LevelError, "panic",
				slog.Any("panic", v), slog.String("request_id", requestIDOf(c)),
				slog.String("route", c.FullPath()), slog.String("stack", string(debug.Stack())))
			if !c.Writer.Written() {
				writeProblem(c, http.StatusInternalServerError, probInternal, "internal error")
			}
			c.Abort()
		}()
		c.Next()
	}
}
