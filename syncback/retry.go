package syncback

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform"
)

// Retry shapes one adapter's sync-back retries (its retry block,
// docs/API.md §2).
type Retry struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// DefaultRetry is the retry of an adapter that sets none, or that the
// config no longer has while its tasks are queued: the config's defaults.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: config.DefaultMaxAttempts, BaseDelay: config.DefaultBaseDelay.D(), MaxDelay: config.DefaultMaxDelay.D()}
}

// RetryPolicy says how long a failed push waits before it is tried again.
type RetryPolicy interface {
	// NextRetry is the delay before retry n+1 (n counts from 0) of the
	// adapter's sync that failed with err.
	NextRetry(adapterID string, n int, err error) time.Duration
}

// Backoff is the RetryPolicy of every adapter: exponential backoff with
// jitter between the adapter's base and max delay, and at least a
// platform's Retry-After up to that max.
type Backoff struct {
	// RetryOf is an adapter's retry (a live adapter set's lookup); an
	// adapter it does not know gets DefaultRetry.
	RetryOf func(adapterID string) (Retry, bool)
	// Rand returns a number in [0, n); default math/rand/v2.
	Rand func(n int64) int64
}

var _ RetryPolicy = Backoff{}

// NextRetry implements RetryPolicy.
func (p Backoff) NextRetry(adapterID string, n int, err error) time.Duration {
	r, ok := Retry{}, false
	if p.RetryOf != nil {
		r, ok = p.RetryOf(adapterID)
	}
	if !ok {
		r = DefaultRetry()
	}
	d := p.Wait(n, r.BaseDelay, r.MaxDelay)
	var se *platform.SyncError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = min(se.RetryAfter, r.MaxDelay)
	}
	return d
}

// Wait is base + rand[0, min(ceiling, base·2^n) − base]: the ceiling doubles
// with each retry (n counts from 0) and the wait never drops below base.
func (p Backoff) Wait(n int, base, ceiling time.Duration) time.Duration {
	ceil := base
	for i := 0; i < n && ceil < ceiling; i++ {
		ceil *= 2
	}
	ceil = min(ceil, ceiling)
	if ceil <= base {
		return base
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	return base + time.Duration(rnd(int64(ceil-base)+1))
}
