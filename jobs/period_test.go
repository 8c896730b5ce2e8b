package jobs

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
)

// TestConsoleReadsAtMostTheRetention: whatever period is asked for, Stats
// reads at most the retention's day counters (90 days back, today and
// tomorrow: 92), List and Latest range over no more than that span, and
// the answers say which period they covered.
func TestConsoleReadsAtMostTheRetention(t *testing.T) {
	t.Parallel()
	inFormats(t, func(t *testing.T, format int) {
		b := setup(t, setupOpts{noServer: true, format: format})
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)
		b.store.Now = func() time.Time { return now }
		cons := orderstore.NewConsole(b.store)
		// A request in the format's scheme, so that its sets are read too.
		if _, _, err := b.store.Change(ctx, "t-selfservice", "o-1", nil, func(d *order.Doc) bool {
			d.Requests = append(d.Requests, order.Request{ID: "r-1", State: platform.Escalated, Initiator: platform.Buyer, Reason: "other", OccurredAt: now.Add(-time.Hour)})
			return true
		}); err != nil {
			t.Fatal(err)
		}
		ad := "t-selfservice"
		oldest, tomorrow := now.Add(-orderstore.DefaultRetention).Truncate(24*time.Hour), now.Truncate(24*time.Hour).Add(24*time.Hour)
		days := &commandCount{match: func(c redis.Cmder) bool { return c.Name() == "hgetall" }}
		b.rdb.AddHook(days)
		date := func(s string) time.Time {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for _, c := range []struct {
			name                 string
			since, until         time.Time
			wantSince, wantUntil time.Time
		}{
			// Three years ahead first: a reader that does not clamp fails here
			// before the next case costs it a gigabyte.
			{"three years ahead", now, now.AddDate(3, 0, 0), now.Truncate(24 * time.Hour), tomorrow},
			{"2000 to 9999", date("2000-01-01"), date("9999-12-31"), oldest, tomorrow},
			{"9999 back to 2000", date("9999-12-31"), date("2000-01-01"), oldest, tomorrow},
			{"wholly past", date("2000-01-01"), date("2000-01-31"), oldest, oldest},
			{"wholly ahead", date("9000-01-01"), date("9999-12-31"), tomorrow, tomorrow},
			{"within", now.AddDate(0, 0, -6), now, now.AddDate(0, 0, -6).Truncate(24 * time.Hour), now.Truncate(24 * time.Hour)},
		} {
			days.n.Store(0)
			st, err := cons.Stats(ctx, ad, c.since, c.until)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			want := int64(c.wantUntil.Sub(c.wantSince)/(24*time.Hour)) + 1
			if n := days.n.Load(); n != want || n > 92 {
				t.Fatalf("%s: %d day counters read, want %d (at most 92)", c.name, n, want)
			}
			if st.Since != dayOf(c.wantSince) || st.Until != dayOf(c.wantUntil) {
				t.Errorf("%s: stats say %s to %s, want %s to %s", c.name, st.Since, st.Until, dayOf(c.wantSince), dayOf(c.wantUntil))
			}
		}

		// The sorted-set reads range over the same span at most.
		lo, hi := ms(oldest), ms(tomorrow.Add(24*time.Hour))
		var ranges [][2]int64
		b.rdb.AddHook(&commandCount{match: func(c redis.Cmder) bool {
			if c.Name() == "zrevrangebyscore" {
				a := c.Args() // zrevrangebyscore key max min ...
				ranges = append(ranges, [2]int64{bound(t, a[3]), bound(t, a[2])})
			}
			return false
		}})
		p, err := cons.List(ctx, ad, index.ListFilter{Since: date("2000-01-01"), Until: date("9999-12-31")})
		if err != nil {
			t.Fatal(err)
		}
		if !p.Since.Equal(oldest) || !p.Until.Equal(tomorrow.Add(24*time.Hour)) {
			t.Errorf("list covered %v to %v, want %v to %v", p.Since, p.Until, oldest, tomorrow.Add(24*time.Hour))
		}
		if _, err := cons.List(ctx, ad, index.ListFilter{State: "cancelled"}); err != nil {
			t.Fatal(err)
		}
		for _, list := range []string{"escalated", "syncfailed"} {
			if _, err := cons.Latest(ctx, ad, list, date("2000-01-01"), date("9999-12-31"), 10); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := cons.Conflicts(ctx, ad, time.Time{}, date("9999-12-31"), 10); err != nil {
			t.Fatal(err)
		}
		if len(ranges) == 0 {
			t.Fatal("no range read seen")
		}
		for _, r := range ranges {
			if r[0] < lo || r[1] > hi {
				t.Errorf("a read ranged over [%d, %d], beyond the span [%d, %d]", r[0], r[1], lo, hi)
			}
		}
	})
}

// bound reads a score bound as the reads write it: a number, "(" and a
// number, or ±inf (as the widest).
func bound(t *testing.T, a any) int64 {
	s, _ := a.(string)
	switch s {
	case "-inf":
		return -1 << 62
	case "+inf":
		return 1 << 62
	}
	if len(s) > 0 && s[0] == '(' {
		s = s[1:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("score bound %v", a)
	}
	return n
}
