package syncback

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// TestRetryPolicy: the delay grows with each retry within the adapter's
// base and max delay, honours Retry-After up to the max, and its jitter
// reaches both ends of the range.
func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	r := Retry{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 10 * time.Second}
	retries := map[string]Retry{"a": r}
	lookup := func(id string) (Retry, bool) { v, ok := retries[id]; return v, ok }
	p := Backoff{RetryOf: lookup}
	for n := range 10 {
		ceil := min(time.Second<<n, 10*time.Second)
		for range 50 {
			d := p.NextRetry("a", n, &platform.SyncError{Retryable: true, Msg: "HTTP 503"})
			if d < time.Second || d > ceil {
				t.Fatalf("n=%d: delay %v outside [1s, %v]", n, d, ceil)
			}
		}
	}
	if d := p.NextRetry("a", 0, &platform.SyncError{Retryable: true, RetryAfter: 7 * time.Second}); d != 7*time.Second {
		t.Fatalf("Retry-After 7s: delay %v", d)
	}
	if d := p.NextRetry("a", 0, &platform.SyncError{Retryable: true, RetryAfter: time.Hour}); d != 10*time.Second {
		t.Fatalf("Retry-After capped: delay %v", d)
	}
	// Full jitter reaches both ends of the range.
	lo := Backoff{RetryOf: lookup, Rand: func(int64) int64 { return 0 }}
	hi := Backoff{RetryOf: lookup, Rand: func(n int64) int64 { return n - 1 }}
	if d := lo.NextRetry("a", 3, nil); d != time.Second {
		t.Fatalf("lo = %v", d)
	}
	if d := hi.NextRetry("a", 3, nil); d != 8*time.Second {
		t.Fatalf("hi = %v", d)
	}
}

// TestRetryPolicyDefaultsToTheConfigs: an adapter the policy does not
// know (removed by a reload while its syncs are queued) retries as the
// config's defaults say, up to max_delay 1h (docs/API.md §2).
func TestRetryPolicyDefaultsToTheConfigs(t *testing.T) {
	t.Parallel()
	hi := Backoff{Rand: func(n int64) int64 { return n - 1 }}
	if d := hi.NextRetry("gone", 20, nil); d != time.Hour {
		t.Fatalf("delay %v after many retries, want the default max_delay 1h", d)
	}
	if d := (Backoff{Rand: func(int64) int64 { return 0 }}).NextRetry("gone", 0, nil); d != time.Second {
		t.Fatalf("first delay %v, want the default base_delay 1s", d)
	}
}
