package platform

import (
	"context"
	"errors"
	"time"
)

// Boundary is what an adapter does so that nothing is missed at the
// platform's edge (docs/API.md §13): it reads orders as the platform holds
// them now, lists the recently updated ones, and keeps the platform's
// webhook subscriptions in place. Platforms without their own API for
// orders (the Standard Webhooks ones) have none.
type Boundary struct {
	Reader     Reader
	Subscriber Subscriber
	// Every is how often the reconciliation poll runs; 0 turns it off.
	// Overlap is how far before the last poll's high-water mark each poll
	// re-reads.
	Every, Overlap time.Duration
	// Timeout bounds the live check at decision time (api.timeout).
	Timeout time.Duration
}

// Reconciliation defaults (docs/API.md §13).
const (
	DefaultReconcileEvery   = 15 * time.Minute
	DefaultReconcileOverlap = 10 * time.Minute
)

// ReconcileKeys are the keys of the reconciliation poll, for the Keys of
// the platforms that have one.
var ReconcileKeys = []Key{{Name: "reconcile.every"}, {Name: "reconcile.overlap"}}

// ReadReconcile reads reconcile.every and reconcile.overlap from r, with
// their defaults.
func ReadReconcile(r *BlockReader) (every, overlap time.Duration) {
	every, overlap = DefaultReconcileEvery, DefaultReconcileOverlap
	if d := r.Duration("reconcile.every"); d != nil {
		every = *d
	}
	if d := r.Duration("reconcile.overlap"); d != nil {
		overlap = *d
	}
	return every, overlap
}

// Reader reads orders from the platform's API, mapped exactly as their
// webhooks are.
type Reader interface {
	// Order reads one order as the platform holds it now. Any error means
	// it could not be read: the caller decides without it.
	Order(ctx context.Context, orderID string) (*Order, error)
	// UpdatedSince lists the orders updated at or after since, oldest
	// first, handing each page to page. It waits out the platform's rate
	// limits (Retry-After, Shopify's throttleStatus) for as long as ctx
	// allows; an error from page stops it.
	UpdatedSince(ctx context.Context, since time.Time, page func([]*Order) error) error
}

// ErrOrderNotFound is an order the platform does not know.
var ErrOrderNotFound = errors.New("order not found on the platform")

// SubscribeMode says how far Subscriber.Subscriptions goes.
type SubscribeMode int

const (
	// CheckOnly reports each topic's state and changes nothing.
	CheckOnly SubscribeMode = iota
	// Reactivate also re-activates disabled or paused subscriptions (the
	// poll's).
	Reactivate
	// Ensure also creates the missing ones (cancelsync connect).
	Ensure
)

// Subscription states, as the metric and the console show them.
const (
	SubscriptionOK       = "ok"
	SubscriptionMissing  = "missing"
	SubscriptionDisabled = "disabled"
)

// Subscription is one webhook topic the adapter needs.
type Subscription struct {
	Topic string
	// State is what was found: ok, missing or disabled.
	State string
	// Result is what was done, as connect prints it: "created", "ok",
	// "reactivated", or "failed: ..." (never a secret).
	Result string
}

// Subscriber keeps the platform's webhook subscriptions for the adapter
// pointed at url ({public_url}/webhooks/{adapter}/orders).
type Subscriber interface {
	// Subscriptions reports every topic the adapter needs, in a fixed
	// order, after doing what mode asks. An error means the platform's
	// subscriptions could not be listed at all.
	Subscriptions(ctx context.Context, url string, mode SubscribeMode) ([]Subscription, error)
}
