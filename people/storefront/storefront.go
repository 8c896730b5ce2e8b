// Package storefront serves buyers (docs/STOREFRONT.md): a shop's order
// page asks whether its buyer may cancel and posts the buyer's request,
// with a short-lived token whose subject is the buyer.
//
//	GET     /storefront/:adapter/orders/:order_id/cancellation   what a request made now would get
//	POST    /storefront/:adapter/orders/:order_id/cancellation   {"reason","comments"}: request it
//	OPTIONS /storefront/:adapter/orders/:order_id/cancellation   CORS preflight
//
// It decides nothing itself: GET asks jobs for the workers' own decision on
// the stored order (orderstore.Store.Preview), and POST queues the request as a
// cancellation.requested delivery that the workers decide like any webhook.
package storefront

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// Path is the route of both endpoints.
const Path = "/storefront/:adapter/orders/:order_id/cancellation"

// Lookup finds a configured adapter by id. It is called per request, so a
// reloaded configuration takes effect at once.
type Lookup func(id string) (*platform.Adapter, bool)

// Previewer tells what a request made now would get (orderstore.Store).
type Previewer interface {
	// Preview returns orderstore.ErrNotFound for an order without a snapshot.
	Preview(ctx context.Context, ad *platform.Adapter, orderID string, c platform.Cancellation, now time.Time) (*order.Preview, error)
}

// Enqueuer durably queues a delivery for the workers (tasks.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, d tasks.Delivery) (duplicate bool, err error)
}

// Defaults applied by Mount to zero Options fields.
const (
	DefaultTimeout = 3 * time.Second
	// DefaultPerMinute is how many POSTs a buyer may make a minute.
	DefaultPerMinute = 10
	// IdempotencyTTL is how long an Idempotency-Key's first answer is kept.
	IdempotencyTTL = orderstore.IdempotencyTTL
	maxBodyBytes   = 16 << 10
)

// Options configure the endpoints. Adapters, Orders, Queue and Redis are
// required.
type Options struct {
	Adapters Lookup
	Orders   Previewer
	Queue    Enqueuer
	// Redis keeps Idempotency-Key answers and the per-buyer rate limit, so
	// both hold across every api process on it.
	Redis redis.UniversalClient
	// Limit is the per-buyer POST limit (default DefaultPerMinute a minute).
	Limit redis_rate.Limit
	// Timeout bounds the Redis work of one request; past it the answer is
	// 503 (default DefaultTimeout).
	Timeout time.Duration
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // nil discards
}

// Mount adds the storefront routes to r.
func Mount(r gin.IRoutes, o Options) {
	if o.Adapters == nil || o.Orders == nil || o.Queue == nil || o.Redis == nil {
		panic("storefront: Options.Adapters, Orders, Queue and Redis are required")
	}
	if o.Limit.IsZero() {
		o.Limit = redis_rate.PerMinute(DefaultPerMinute)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{o: o, limiter: redis_rate.NewLimiter(o.Redis), idem: idempotency{rdb: o.Redis}}
	logged := accesslog.Handler(o.Logger, "storefront")
	r.OPTIONS(Path, cors, preflight)
	r.GET(Path, logged, cors, h.get)
	r.POST(Path, logged, cors, h.post)
}

type handler struct {
	o       Options
	limiter *redis_rate.Limiter
	idem    idempotency
}

// cors lets any origin call these routes: the bearer token, not a cookie,
// is the authority, so a page on any shop's domain may ask.
func cors(c *gin.Context) {
	h := c.Writer.Header()
	h["Access-Control-Allow-Origin"] = []string{"*"}
	h["Access-Control-Expose-Headers"] = []string{"Retry-After, WWW-Authenticate, X-Request-Id"}
	c.Next()
}

func preflight(c *gin.Context) {
	h := c.Writer.Header()
	h["Access-Control-Allow-Methods"] = []string{"GET, POST"}
	h["Access-Control-Allow-Headers"] = []string{"Authorization, Content-Type, Idempotency-Key"}
	h["Access-Control-Max-Age"] = []string{"600"}
	c.Status(http.StatusNoContent)
	c.Abort()
}

// authorize finds the adapter and the buyer its token names; it has
// answered (404 or 401) when ok is false.
func (h *handler) authorize(c *gin.Context, now time.Time) (a *platform.Adapter, buyerID string, ok bool) {
	c.Writer.Header()["Cache-Control"] = []string{"no-store"}
	a, found := h.o.Adapters(c.Param("adapter"))
	if !found {
		accesslog.Refuse(c, "unknown_adapter")
		notFound(c)
		return nil, "", false
	}
	if len(a.StorefrontSecrets) == 0 {
		// The adapter exists but takes no buyers: to the caller, the
		// same 404 as no adapter.
		accesslog.Refuse(c, "no_storefront_keys")
		notFound(c)
		return nil, "", false
	}
	tok := bearer(c.Request.Header.Get("Authorization"))
	buyerID, err := buyer(a, tok, now)
	if err != nil {
		if te, ok := errors.AsType[*tokenError](err); ok {
			accesslog.Refuse(c, te.reason)
		}
		challenge := `Bearer realm="cancelsync"`
		if tok != "" {
			challenge += `, error="invalid_token"`
		}
		c.Writer.Header()["Www-Authenticate"] = []string{challenge}
		problem.Write(c, http.StatusUnauthorized, problem.Unauthorized, "a valid buyer token is required")
		return nil, "", false
	}
	return a, buyerID, true
}

// buyersOrder reads the preview of the buyer's order; it has answered (404
// or 503) when ok is false. An order of another buyer, or of a guest (who
// has no account to sign in with), answers exactly as an unknown one.
func (h *handler) buyersOrder(c *gin.Context, ctx context.Context, a *platform.Adapter, buyerID string, now time.Time) (*order.Preview, bool) {
	orderID := c.Param("order_id")
	if !platform.ValidID(orderID) {
		accesslog.Refuse(c, "invalid_order_id")
		notFound(c)
		return nil, false
	}
	p, err := h.o.Orders.Preview(ctx, a, orderID, platform.Cancellation{Initiator: platform.Buyer}, now)
	switch {
	case errors.Is(err, orderstore.ErrNotFound):
		accesslog.Refuse(c, "unknown_order")
		notFound(c)
		return nil, false
	case err != nil:
		h.unavailable(c, "preview", a.ID, err)
		return nil, false
	}
	switch {
	case p.Order.BuyerID == guest:
		accesslog.Refuse(c, "guest_order")
		notFound(c)
		return nil, false
	case p.Order.BuyerID != buyerID:
		accesslog.Refuse(c, "not_this_buyers_order")
		notFound(c)
		return nil, false
	}
	return p, true
}

// guest is the buyer id the platforms give an order without a customer
// account (Shopify, WooCommerce).
const guest = "guest"

func (h *handler) unavailable(c *gin.Context, op, adapterID string, err error) {
	// The error may name hosts: it goes to the log, never the body.
	h.o.Logger.LogAttrs(c.Request.Context(), slog.LevelWarn, "storefront "+op,
		slog.String("adapter", adapterID), slog.String("error", err.Error()),
		slog.String("request_id", accesslog.RequestID(c)))
	accesslog.Refuse(c, "store_unavailable")
	c.Writer.Header()["Retry-After"] = []string{problem.RetryAfterUnavailable}
	problem.Write(c, http.StatusServiceUnavailable, problem.Unavailable, "the order store is unavailable, retry later")
}

// previewAnswer is GET's body.
type previewAnswer struct {
	OrderID      string                  `json:"order_id"`
	Eligible     bool                    `json:"eligible"`
	Would        platform.State          `json:"would"`
	DenialReason *platform.DenialReason  `json:"denial_reason"`
	CancelBy     *time.Time              `json:"cancel_by"`
	Cancellation *order.CancellationView `json:"cancellation"`
	// Lines are the order's lines and what of each can be cancelled.
	Lines []order.LinePreview `json:"lines"`
}

func (h *handler) get(c *gin.Context) {
	now := h.o.Now()
	a, buyerID, ok := h.authorize(c, now)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), h.o.Timeout)
	defer cancel()
	p, ok := h.buyersOrder(c, ctx, a, buyerID, now)
	if !ok {
		return
	}
	ans := previewAnswer{
		OrderID: p.Order.ID, Eligible: p.Would.State != platform.Denied, Would: p.Would.State,
		CancelBy: p.CancelBy, Cancellation: p.Cancellation, Lines: p.Lines,
	}
	if ans.Lines == nil {
		ans.Lines = []order.LinePreview{}
	}
	if p.Would.DenialReason != "" {
		dr := p.Would.DenialReason
		ans.DenialReason = &dr
	}
	writeJSON(c, http.StatusOK, ans)
}
