package console_test

import (
	"context"
	"encoding/json"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// dayReads counts the day counters read (HGETALL), pipelined or not.
type dayReads struct{ n atomic.Int64 }

func (h *dayReads) count(cs ...redis.Cmder) {
	for _, c := range cs {
		if c.Name() == "hgetall" {
			h.n.Add(1)
		}
	}
}
func (h *dayReads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *dayReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error { h.count(c); return next(ctx, c) }
}
func (h *dayReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error { h.count(cs...); return next(ctx, cs) }
}

// TestTwinsReadAtMostTheRetention: a merchant's period reaching from 2000
// to 9999 costs the stats and dashboard twins and the dashboard page no
// more day counters than the retention holds (90 days back, today and
// tomorrow: 92), and the twins say which period they covered.
func TestTwinsReadAtMostTheRetention(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	reads := &dayReads{}
	r.rdb.AddHook(reads)
	now := time.Now().UTC()
	oldest, tomorrow := now.AddDate(0, 0, -90).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	b := newBrowser(t, r)
	b.signIn("tok-a")
	// Three years ahead first: a twin that does not clamp fails here
	// before 2000 to 9999 costs it a gigabyte.
	for _, q := range []string{"since=" + now.Format(time.DateOnly) + "&until=" + now.AddDate(3, 0, 0).Format(time.DateOnly), "since=2000-01-01&until=9999-12-31"} {
		for _, path := range []string{"/v1/adapters/shop-a/stats?", "/v1/adapters/shop-a/dashboard?", "/console/adapters/shop-a?"} {
			reads.n.Store(0)
			var code int
			var body string
			if path[1] == 'v' {
				code, body = r.do(t, "GET", path+q, "tok-a", "")
			} else {
				res, page := b.get(path + q)
				code, body = res.StatusCode, page
			}
			if code != 200 {
				t.Fatalf("%s%s: %d %s", path, q, code, body)
			}
			if n := reads.n.Load(); n > 92 {
				t.Fatalf("%s%s: %d day counters read, want at most 92", path, q, n)
			}
			if path != "/v1/adapters/shop-a/stats?" || q[len(q)-4:] != "2-31" {
				continue
			}
			var st struct{ Since, Until string }
			if err := json.Unmarshal([]byte(body), &st); err != nil || st.Since != oldest || st.Until != tomorrow {
				t.Errorf("stats covered %q to %q, want %s to %s (%v)", st.Since, st.Until, oldest, tomorrow, err)
			}
		}
	}
	// The list says the period it covered.
	code, body := r.do(t, "GET", "/v1/adapters/shop-a/cancellations?"+url.Values{"since": {"2000-01-01"}, "until": {"9999-12-31T00:00:00Z"}}.Encode(), "tok-a", "")
	var page struct{ Since, Until time.Time }
	if code != 200 || json.Unmarshal([]byte(body), &page) != nil ||
		page.Since.Format(time.DateOnly) != oldest || !page.Until.Equal(now.Truncate(24*time.Hour).AddDate(0, 0, 2)) {
		t.Errorf("list: %d %s, want since %s until the end of %s", code, body, oldest, tomorrow)
	}
}
