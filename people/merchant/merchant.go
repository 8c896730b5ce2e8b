// Package merchant is what a merchant can do and see, without HTTP: answer
// a pending request, cancel as the merchant, replay a dead letter, connect
// the platform's webhooks, and read the dashboard and the home page's
// summaries. The console's pages and their JSON twins (package console)
// both call it, so the two never differ. It decides nothing: actions go
// through the same queue and dead letter as webhooks and the dlq command,
// "may I cancel?" is the workers' own preview, and lists and counters come
// from orderstore's indexes.
package merchant

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// Enqueuer durably queues a delivery for the workers (tasks.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, d tasks.Delivery) (duplicate bool, err error)
}

// Options wire the merchant's actions and reads; the console hands its own.
type Options struct {
	// Redis keeps the Idempotency-Keys.
	Redis   redis.UniversalClient
	Store   *orderstore.Store
	Indexes *index.Console
	// DeadLetters lists and replays failed syncs.
	DeadLetters *syncback.DeadLetters
	// Enqueuer takes the merchant's answers and cancellations.
	Enqueuer Enqueuer
	// Adapter looks an adapter up, per call (adapters change on SIGHUP).
	Adapter func(id string) (*platform.Adapter, bool)
	// PublicURL returns the current public_url, which Connect needs (nil:
	// never set).
	PublicURL func() string
	Now       func() time.Time
}

// Merchant runs the merchant's actions and reads.
type Merchant struct {
	o Options
}

// New returns the merchant's actions on o; Now defaults to time.Now.
func New(o Options) *Merchant {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Merchant{o: o}
}
