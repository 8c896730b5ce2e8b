// Package webhooks is ingest (docs/API.md §3): for an inbound webhook it
// checks the adapter and its endpoint, the media type and the body limit,
// reads the body once, hands it to the adapter's Inbound to verify and
// decode, and enqueues the result, answering in problem+json when it
// refuses. It decides nothing about cancellations and knows no platform's
// headers: adapters do. The router that mounts it, with auth and the
// operations endpoints, is package httpapi.
//
// Routes:
//
//	POST /webhooks/:adapter/orders          ingest an order snapshot
//	POST /webhooks/:adapter/cancellations   ingest a cancellation event
package webhooks

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/platform"
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

// Defaults applied by Mount to zero Options fields.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultEnqueueTimeout = 3 * time.Second
)

// Options configure ingest. Adapters (or Lookup) and Enqueuer are required.
type Options struct {
	// Adapters are the configured adapters by id.
	Adapters map[string]*platform.Adapter
	// Lookup, when set, replaces Adapters: it is asked once per request,
	// so a request finishes with the adapter it started with and the next
	// one sees a reloaded set (README.md, Live configuration). Adapters then
	// only names the series Metrics creates at zero.
	Lookup func(id string) (*platform.Adapter, bool)
	// Enqueuer takes verified deliveries.
	Enqueuer Enqueuer
	// MaxBodyBytes caps a webhook body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// EnqueueTimeout bounds one Enqueue call so a hung Redis becomes a 503
	// the sender retries (default DefaultEnqueueTimeout).
	EnqueueTimeout time.Duration
	// Logger gets one line per ingest request; nil discards.
	Logger *slog.Logger
	// Metrics counts ingest requests; nil counts nothing.
	Metrics *Metrics
	// Now is the clock for signature timestamps and ReceivedAt (default
	// time.Now). Latency is always measured on the real clock.
	Now func() time.Time
}

// Find returns the adapter with id, through Lookup when it is set and
// otherwise from Adapters.
func (o Options) Find(id string) (*platform.Adapter, bool) {
	if o.Lookup != nil {
		return o.Lookup(id)
	}
	ad, ok := o.Adapters[id]
	return ad, ok
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
		o.Lookup = o.Find // a copy of o whose Lookup is nil: the map's
	}
	return o
}

// Mount adds the two ingest routes to r. It panics when Enqueuer is nil, a
// wiring mistake that would otherwise turn every webhook into a 503.
func Mount(r gin.IRoutes, o Options) {
	if o.Enqueuer == nil {
		panic("webhooks: Options.Enqueuer is nil")
	}
	o = o.withDefaults()
	for id := range o.Adapters {
		o.Metrics.initAdapter(id)
	}
	in := &ingest{o: o}
	r.POST("/webhooks/:adapter/orders", in.handler(platform.KindOrders))
	r.POST("/webhooks/:adapter/cancellations", in.handler(platform.KindCancellations))
}
