// Package httpapi is the HTTP router of cancelsync (docs/API.md): it mounts
// ingest (package webhooks), the read API, the buyers' storefront endpoints
// (people/storefront), the merchant console (people/console) and the queues
// UI, guards /v1 and /admin, and serves the operations endpoints. Every
// answer it writes itself is problem+json; it holds no handler's logic.
//
// Routes:
//
//	POST /webhooks/:adapter/orders          ingest an order snapshot (webhooks)
//	POST /webhooks/:adapter/cancellations   ingest a cancellation event (webhooks)
//	GET  /v1/adapters/:adapter/orders/:id   the order's view (bearer admin token)
//	GET  /healthz                           process alive
//	GET  /readyz                            Options.Ready reachable
//	GET  /metrics                           Prometheus text format (when Options.Gatherer is set)
//	GET  /openapi.yaml                      docs/openapi.yaml, the document of every route
//	/admin/queues                           asynqmon (when Options.QueuesUI is set)
//	/storefront/..., /console/..., /v1/...  people/storefront and people/console, when set
//
// Every path under /v1 and /admin needs the admin token, including paths
// that match no route; with Options.Console set, /v1 takes the merchant
// console's scoped tokens instead (people/console).
package httpapi

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

	"github.com/cancelsync/cancelsync/docs"
	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/people/console"
	"github.com/cancelsync/cancelsync/people/storefront"
	"github.com/cancelsync/cancelsync/webhooks"
)

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

const readyTimeout = 1500 * time.Millisecond

// Options configure the router. Webhooks.Enqueuer is required.
type Options struct {
	// Webhooks configures ingest; its adapters (Adapters or Lookup) are
	// also the ones the read API and the not-found hints look up.
	Webhooks webhooks.Options
	// Views serves the read API; nil leaves /v1/adapters/... unmounted.
	Views OrderViews
	// Ready backs /readyz; nil means always ready. When it is also a
	// Warner, its warnings are in /readyz's body.
	Ready Pinger
	// AdminToken guards /v1 and /admin. Empty refuses every request there.
	AdminToken string
	// Logger gets panics, readiness failures and read API errors; nil
	// discards. Ingest logs through Webhooks.Logger.
	Logger *slog.Logger
	// Gatherer is served on /metrics; nil leaves /metrics unmounted.
	Gatherer prometheus.Gatherer
	// QueuesUI is served at QueuesUIPath and below (see NewQueuesUI); nil
	// leaves it unmounted.
	QueuesUI http.Handler
	// Storefront, when set, mounts the buyers' storefront endpoints
	// (people/storefront) with these options.
	Storefront *storefront.Options
	// Console, when set, mounts the merchant console (people/console), and
	// its scoped tokens guard /v1 in place of the admin token check.
	Console *console.Console
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// NewRouter builds the HTTP handler. It panics when Webhooks.Enqueuer is
// nil, a wiring mistake that would otherwise turn every webhook into a 503.
func NewRouter(o Options) http.Handler {
	if o.Webhooks.Enqueuer == nil {
		panic("httpapi: Options.Webhooks.Enqueuer is nil")
	}
	o = o.withDefaults()
	lookup := o.Webhooks.Find

	r := newEngine()
	r.HandleMethodNotAllowed = true
	var v1 gin.HandlerFunc
	if o.Console != nil {
		v1 = o.Console.V1Auth()
	}
	r.Use(recovery(o.Logger), requestID, adminPaths(o.AdminToken, v1))
	r.NoRoute(notFound(lookup))
	r.NoMethod(func(c *gin.Context) {
		problem.Write(c, http.StatusMethodNotAllowed, problem.MethodNotAllowed, "method not allowed on this route")
	})

	webhooks.Mount(r, o.Webhooks)
	if o.Views != nil {
		rd := &reader{adapter: lookup, views: o.Views, log: o.Logger}
		r.GET("/v1/adapters/:adapter/orders/:order_id", rd.orderView)
	}
	mountProbes(r, o)
	r.GET("/openapi.yaml", openAPI)
	if o.QueuesUI != nil {
		serve := gin.WrapH(noStore(o.QueuesUI))
		r.Any(QueuesUIPath, serve)
		r.Any(QueuesUIPath+"/*rest", serve)
	}
	if o.Storefront != nil {
		storefront.Mount(r, *o.Storefront)
	}
	// Last: the console's page-error middleware applies to its own routes
	// only, those mounted after it.
	if o.Console != nil {
		o.Console.Mount(r)
	}
	return r
}

// newEngine is a gin engine that prints nothing and never redirects.
func newEngine() *gin.Engine {
	// Release mode keeps gin from printing routes and warnings to stdout.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// A redirect is not an answer a webhook sender acts on, and the
	// trailing-slash redirect trusts X-Forwarded-Prefix.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
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
	problem.WriteJSON(c, http.StatusOK, []byte(`{"status":"ok"}`))
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
					slog.String("error", r.err.Error()), slog.String("request_id", accesslog.RequestID(c)))
				problem.Write(c, http.StatusServiceUnavailable, problem.Unavailable, "not ready")
				return
			}
			warnings = r.warnings
		}
		if len(warnings) == 0 {
			problem.WriteJSON(c, http.StatusOK, []byte(`{"status":"ok"}`))
			return
		}
		body, err := json.Marshal(struct {
			Status   string   `json:"status"`
			Warnings []string `json:"warnings"`
		}{"ok", warnings})
		if err != nil { // strings only: cannot happen
			panic(err)
		}
		problem.WriteJSON(c, http.StatusOK, body)
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
				slog.Any("panic", v), slog.String("request_id", accesslog.RequestID(c)),
				slog.String("route", c.FullPath()), slog.String("stack", string(debug.Stack())))
			if !c.Writer.Written() {
				problem.Write(c, http.StatusInternalServerError, problem.Internal, "internal error")
			}
			c.Abort()
		}()
		c.Next()
	}
}
