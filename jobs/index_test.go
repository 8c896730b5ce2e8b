package jobs

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
)

func TestIndexMemberSplitsBack(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{{"a", "b"}, {"1:2", "3"}, {"12:x", ":"}, {"o", ""}, {"PM-1.2", "cr:9"}} {
		o, r, ok := splitMember(indexMember(c[0], c[1]))
		if !ok || o != c[0] || r != c[1] {
			t.Errorf("%q %q → %q %q %v", c[0], c[1], o, r, ok)
		}
	}
	if ixKey("a", ixState, "b:c") == ixKey("a", ixState, "b", "c") {
		t.Error("index keys collide")
	}
}

// TestIndexesFollowTheDocuments drives orders through the workers on a real
// redis-server and checks every console list and counter against what the
// order views say.
func TestIndexesFollowTheDocuments(t *testing.T) {
	t.Parallel()
	inFormats(t, func(t *testing.T, format int) {
		b := setup(t, setupOpts{real: true, windows: platform.Windows{ResponseWindow: time.Hour}, format: format})
		ctx := context.Background()
		ali, self := "t-aliexpress", "t-selfservice"
		now := time.Now().UTC()
		for _, o := range []string{"o1", "o2", "o3"} {
			b.deliver(t, ali, snapshot(o, platform.StatusPaid, placed))
		}
		b.deliver(t, ali, snapshot("o4", platform.StatusShipped, placed))
		for _, o := range []string{"o1", "o2", "o3", "o4"} {
			eventually(t, "snapshot "+o, func() bool { v, err := b.store.OrderView(ctx, b.adapters[ali], o); return err == nil && v.Order != nil })
		}
		b.deliver(t, ali, oldRequest("o1", "r1", platform.Buyer, "changed_mind", now.Add(-4*time.Minute)))
		b.deliver(t, ali, oldRequest("o2", "r2", platform.Buyer, "shipping_delay", now.Add(-3*time.Minute)))
		b.deliver(t, ali, oldRequest("o3", "r3", platform.Seller, "other", now.Add(-2*time.Minute)))
		b.deliver(t, ali, oldRequest("o4", "r4", platform.Buyer, "changed_mind", now.Add(-1*time.Minute)))
		b.waitState(t, ali, "o1", platform.PendingResponse, "synced")
		b.deliver(t, ali, respond("o1", "r1", platform.Seller, platform.Accept))
		b.waitState(t, ali, "o1", platform.Cancelled, "synced")
		b.waitState(t, ali, "o2", platform.PendingResponse, "synced")
		b.waitState(t, ali, "o3", platform.Cancelled, "synced")
		b.waitState(t, ali, "o4", platform.Denied, "synced")

		cons := orderstore.NewConsole(b.store)
		st, err := cons.Stats(ctx, ali, now.Add(-24*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		// What the views say, counted independently of the indexes.
		byState := map[string]int64{}
		for _, o := range []string{"o1", "o2", "o3", "o4"} {
			byState[string(b.view(t, ali, o).Cancellation.State)]++
		}
		if st.Requests != 4 || st.ByState["cancelled"] != byState["cancelled"] || st.ByState["pending_response"] != byState["pending_response"] ||
			st.ByState["denied"] != byState["denied"] || len(st.ByState) != len(byState) {
			t.Errorf("stats by state %v, views say %v (requests %d)", st.ByState, byState, st.Requests)
		}
		if st.Denials["already_shipped"] != 1 || st.ByReason["changed_mind"] != 2 || st.ByReason["shipping_delay"] != 1 || st.ByInitiator["buyer"] != 3 || st.ByInitiator["seller"] != 1 {
			t.Errorf("stats %+v", st)
		}
		if placedToday := dayOf(placed) == dayOf(now); placedToday && st.OrdersSeen != 4 {
			t.Errorf("orders seen %d, want 4", st.OrdersSeen)
		}
		if st.PendingNow != 1 || st.Sync.Pending != 0 || st.Sync.Failed != 0 {
			t.Errorf("pending now %d, sync %+v", st.PendingNow, st.Sync)
		}
		if want := float64(2) / float64(st.OrdersSeen); st.OrdersSeen > 0 && st.CancellationRate != want {
			t.Errorf("rate %v, want %v", st.CancellationRate, want)
		}

		pend, err := cons.Pending(ctx, ali, 10)
		if err != nil || len(pend) != 1 || pend[0].OrderID != "o2" || pend[0].RespondBy == nil {
			t.Fatalf("pending %+v %v", pend, err)
		}

		list := func(f index.ListFilter) []string {
			t.Helper()
			p, err := cons.List(ctx, ali, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range p.Items {
				ids = append(ids, r.OrderID+"/"+r.RequestID+"/"+string(r.State))
			}
			return ids
		}
		eq := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: %v, want %v", what, got, want)
					return
				}
			}
		}
		eq("all", list(index.ListFilter{}), "o4/r4/denied", "o3/r3/cancelled", "o2/r2/pending_response", "o1/r1/cancelled")
		eq("cancelled", list(index.ListFilter{State: "cancelled"}), "o3/r3/cancelled", "o1/r1/cancelled")
		eq("cancelled by buyer", list(index.ListFilter{State: "cancelled", Initiator: "buyer"}), "o1/r1/cancelled")
		eq("changed_mind, denied", list(index.ListFilter{Reason: "changed_mind", State: "denied"}), "o4/r4/denied")
		eq("pending (left the set after the answer)", list(index.ListFilter{State: "pending_response"}), "o2/r2/pending_response")
		eq("since", list(index.ListFilter{Since: now.Add(-150 * time.Second)}), "o4/r4/denied", "o3/r3/cancelled")
		eq("until", list(index.ListFilter{Until: now.Add(-150 * time.Second)}), "o2/r2/pending_response", "o1/r1/cancelled")

		// Paging one at a time visits every request once, in order.
		var paged []string
		cursor := ""
		for range 10 {
			p, err := cons.List(ctx, ali, index.ListFilter{Limit: 1, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Items {
				paged = append(paged, r.OrderID)
			}
			if cursor = p.Next; cursor == "" {
				break
			}
		}
		eq("paged", paged, "o4", "o3", "o2", "o1")

		// The entries are in the format's scheme, and only there.
		kind := kindOf(platform.Cancelled, platform.Buyer, "changed_mind")
		inState := b.rdb.ZScore(ctx, ixKey(ali, ixState, "cancelled"), indexMember("o1", "r1")).Err() == nil
		inKind := b.rdb.ZScore(ctx, ixKey(ali, ixKind, kind), indexMember("o1", "r1")).Err() == nil
		registered := b.rdb.SIsMember(ctx, ixKey(ali, ixKinds), kind).Val()
		var legacy, kinds []string
		for _, name := range []string{ixState, ixReason, ixInitiator} {
			legacy = append(legacy, b.rdb.Keys(ctx, ixKey(ali, name)+":*").Val()...)
		}
		kinds = b.rdb.Keys(ctx, ixKey(ali, ixKind)+":*").Val()
		if compact := format == order.FormatCompact; inState == compact || inKind != compact || registered != compact ||
			(len(legacy) == 0) != compact || (len(kinds) == 0) == compact {
			t.Errorf("format %d: o1/r1 in the state set %v, in its kind's set %v, kind registered %v; state/reason/initiator sets %v, kind sets %v",
				format, inState, inKind, registered, legacy, kinds)
		}
		if compact := format == order.FormatCompact; compact && len(kinds) != 4 {
			t.Errorf("kind sets %v, want one per kind of the four requests", kinds)
		}
		if _, err := cons.List(ctx, ali, index.ListFilter{Cursor: "nope"}); err != index.ErrBadCursor {
			t.Errorf("bad cursor: %v", err)
		}

		// Three buyer cancellations on selfservice make a repeat canceller; a
		// request older than the retention leaves no trace.
		for i, o := range []string{"s1", "s2", "s3"} {
			b.deliver(t, self, snapshot(o, platform.StatusPaid, placed))
			b.deliver(t, self, oldRequest(o, "q"+o, platform.Buyer, "changed_mind", now.Add(-time.Duration(i+1)*time.Minute)))
		}
		b.deliver(t, self, snapshot("old", platform.StatusPaid, placed))
		b.deliver(t, self, oldRequest("old", "qold", platform.Seller, "other", now.Add(-100*24*time.Hour)))
		for _, o := range []string{"s1", "s2", "s3", "old"} {
			b.waitState(t, self, o, platform.Cancelled, "synced")
		}
		rc, err := cons.RepeatCancellers(ctx, self, 10)
		if err != nil || len(rc) != 1 || rc[0].BuyerID != "b" || rc[0].Cancellations != 3 {
			t.Errorf("repeat cancellers %+v %v", rc, err)
		}
		if rc, _ := cons.RepeatCancellers(ctx, ali, 10); len(rc) != 0 {
			t.Errorf("aliexpress has one buyer cancellation, got repeat cancellers %+v", rc)
		}
		p, err := cons.List(ctx, self, index.ListFilter{})
		if err != nil || len(p.Items) != 3 {
			t.Errorf("selfservice list %+v %v: the 100-day-old request should be trimmed", p.Items, err)
		}
		old, err := cons.Stats(ctx, self, now.Add(-101*24*time.Hour), now.Add(-99*24*time.Hour))
		if err != nil || old.Requests != 0 {
			t.Errorf("100 days ago: %+v %v", old, err)
		}
		if n, _ := b.rdb.Exists(ctx, ixKey(self, ixDay, dayOf(now.Add(-100*24*time.Hour)))).Result(); n != 0 {
			t.Error("a day counter past the retention exists")
		}
		if ttl, _ := b.rdb.PTTL(ctx, ixKey(self, ixDay, dayOf(now))).Result(); ttl < 89*24*time.Hour || ttl > 92*24*time.Hour {
			t.Errorf("today's counters expire in %v, want about 90 days", ttl)
		}
	})
}

// TestStatsCountsRequestsByState: a day's requests are the sum of its
// by-state counters; the separate "n" counter that day hashes written by
// earlier versions hold is ignored, so old and new days add up alike.
func TestStatsCountsRequestsByState(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	ctx := context.Background()
	self := "t-selfservice"
	now := time.Now().UTC()
	today, yesterday := dayOf(now), dayOf(now.Add(-24*time.Hour))
	// Yesterday as an earlier version wrote it ("n"), today as this one does.
	b.rdb.HSet(ctx, ixKey(self, ixDay, yesterday), cntLegacyRequests, "7", cntState+"cancelled", "2", cntState+"denied", "1")
	b.rdb.HSet(ctx, ixKey(self, ixDay, today), cntState+"cancelled", "1", cntState+"pending_response", "1", cntState+"denied", "0")
	st, err := orderstore.NewConsole(b.store).Stats(ctx, self, now.Add(-24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 5 || st.ByState["cancelled"] != 3 || st.ByState["denied"] != 1 || st.ByState["pending_response"] != 1 {
		t.Errorf("requests %d by state %v, want 5 = 3 cancelled + 1 denied + 1 pending", st.Requests, st.ByState)
	}
}

// TestRepeatCancellerCountsTheWindowOnly: a buyer's set counts only its
// entries in the window, and is trimmed only once that count makes a
// repeat canceller (at most once a minute per process and set, like the
// console's sets): two cancellations of 40 days ago and one today are not
// three.
func TestRepeatCancellerCountsTheWindowOnly(t *testing.T) {
	t.Parallel()
	inFormats(t, func(t *testing.T, format int) {
		b := setup(t, setupOpts{format: format})
		ctx := context.Background()
		self := "t-selfservice"
		now := time.Now().UTC()
		cancel := func(o string, at time.Time) {
			b.deliver(t, self, snapshot(o, platform.StatusPaid, placed))
			b.deliver(t, self, oldRequest(o, "q"+o, platform.Buyer, "changed_mind", at))
			b.waitState(t, self, o, platform.Cancelled, "synced")
		}
		cancel("w1", now.Add(-40*24*time.Hour))
		cancel("w2", now.Add(-40*24*time.Hour+time.Minute))
		cancel("w3", now.Add(-3*time.Minute))
		if _, err := b.rdb.ZScore(ctx, ixKey(self, ixRepeat), "b").Result(); err == nil {
			t.Fatal("two cancellations of 40 days ago and one today made a repeat canceller")
		}
		if n := b.rdb.ZCard(ctx, ixKey(self, ixBuyer, "b")).Val(); n != 3 {
			t.Errorf("the buyer's set holds %d, want all 3 (not a repeat canceller: not trimmed)", n)
		}
		cancel("w4", now.Add(-2*time.Minute))
		cancel("w5", now.Add(-time.Minute))
		if _, err := b.rdb.ZScore(ctx, ixKey(self, ixRepeat), "b").Result(); err != nil {
			t.Fatalf("three cancellations today did not make a repeat canceller: %v", err)
		}
		rc, err := orderstore.NewConsole(b.store).RepeatCancellers(ctx, self, 10)
		if err != nil || len(rc) != 1 || rc[0].Cancellations != 3 {
			t.Errorf("repeat cancellers %+v %v", rc, err)
		}
	})
}

// TestListWalksBothSchemes: List walks the requests of both schemes
// (orderstore/index/facts.go) as one sequence, newest first, as one set of
// every request would be ordered (score, then member, descending), through
// ties, windows, filters and pages of every size: requests all in the
// state, reason and initiator sets (FormatJSON, as earlier releases wrote
// them), all in kind sets (FormatCompact), or some in each. A member in
// both (which the store never writes) is listed once, and a set of all
// requests left by an earlier version is neither read nor kept.
func TestListWalksBothSchemes(t *testing.T) {
	t.Parallel()
	for _, scheme := range []string{"state sets", "kind sets", "both"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			testListWalks(t, scheme)
		})
	}
}

func testListWalks(t *testing.T, scheme string) {
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	ad := "t-merge"
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	type entry struct {
		m                  string
		at                 int64
		state, who, reason string
	}
	var all []entry
	whos := []platform.Party{platform.Buyer, platform.Seller, platform.Merchant}
	reasons := []string{"changed_mind", "other", "shipping_delay", "a|b"} // a reason may hold '|'
	// 300 requests over six states, three parties and four reasons,
	// uneven, with many sharing a score (every third pair of requests at
	// the same millisecond).
	for i := range 300 {
		st := platform.States[(i*i+i/7)%len(platform.States)]
		if i%11 == 0 {
			st = platform.Cancelled
		}
		who, reason := whos[(i/2)%3], reasons[(i*7/3)%4]
		at := ms(base.Add(time.Duration(i/3) * time.Second))
		m := indexMember(fmt.Sprintf("o%03d", (i*37)%300), fmt.Sprintf("r%d", i))
		all = append(all, entry{m, at, string(st), string(who), reason})
		z := redis.Z{Score: float64(at), Member: m}
		if scheme == "state sets" || scheme == "both" && (i*13)%5 < 2 {
			b.rdb.ZAdd(ctx, ixKey(ad, ixState, string(st)), z)
			b.rdb.ZAdd(ctx, ixKey(ad, ixReason, reason), z)
			b.rdb.ZAdd(ctx, ixKey(ad, ixInitiator, string(who)), z)
		} else {
			kind := kindOf(st, who, reason)
			b.rdb.ZAdd(ctx, ixKey(ad, ixKind, kind), z)
			b.rdb.SAdd(ctx, ixKey(ad, ixKinds), kind)
		}
	}
	// What an earlier version left: a set of all requests, stale.
	b.rdb.ZAdd(ctx, ixKey(ad, ixLegacyAll), redis.Z{Score: float64(ms(base.Add(time.Hour))), Member: indexMember("gone", "r")})
	sort.Slice(all, func(i, j int) bool {
		if all[i].at != all[j].at {
			return all[i].at > all[j].at
		}
		return all[i].m > all[j].m
	})
	want := func(f index.ListFilter) []string {
		var out []string
		for _, e := range all {
			if (f.Since.IsZero() || e.at >= ms(f.Since)) && (f.Until.IsZero() || e.at < ms(f.Until)) &&
				(f.State == "" || f.State == e.state) && (f.Initiator == "" || f.Initiator == e.who) && (f.Reason == "" || f.Reason == e.reason) {
				o, r, _ := splitMember(e.m)
				out = append(out, o+"/"+r)
			}
		}
		return out
	}
	cons := orderstore.NewConsole(b.store)
	walk := func(f index.ListFilter) []string {
		t.Helper()
		var got []string
		for range 400 {
			p, err := cons.List(ctx, ad, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Items) > f.Limit && f.Limit > 0 {
				t.Fatalf("page of %d, limit %d", len(p.Items), f.Limit)
			}
			for _, r := range p.Items {
				got = append(got, r.OrderID+"/"+r.RequestID)
			}
			if f.Cursor = p.Next; f.Cursor == "" {
				return got
			}
		}
		t.Fatal("paging did not end")
		return nil
	}
	check := func(f index.ListFilter) {
		t.Helper()
		if got, exp := walk(f), want(f); !slices.Equal(got, exp) {
			t.Errorf("%+v: %d rows, want %d\n got %v\nwant %v", f, len(got), len(exp), got, exp)
		}
	}
	since, until := base.Add(17*time.Second), base.Add(71*time.Second)
	for _, limit := range []int{1, 2, 7, 50, 200} {
		for _, w := range []struct{ since, until time.Time }{{}, {since, time.Time{}}, {time.Time{}, until}, {since, until}} {
			check(index.ListFilter{Limit: limit, Since: w.since, Until: w.until})
		}
	}
	for _, limit := range []int{1, 7, 200} {
		for _, f := range []index.ListFilter{
			{State: "cancelled"},
			{State: "cancelled", Initiator: "buyer"},
			{Reason: "a|b"},
			{Reason: "other", Initiator: "seller", Since: since},
			{Initiator: "merchant", State: "denied", Reason: "changed_mind"},
		} {
			f.Limit = limit
			check(f)
		}
	}
	// A member in both schemes, with one score, is listed once.
	dup := all[len(all)/2]
	kind := kindOf(platform.State(dup.state), platform.Party(dup.who), dup.reason)
	for _, k := range []string{ixKey(ad, ixState, dup.state), ixKey(ad, ixKind, kind)} {
		b.rdb.ZAdd(ctx, k, redis.Z{Score: float64(dup.at), Member: dup.m})
	}
	b.rdb.ZAdd(ctx, ixKey(ad, ixReason, dup.reason), redis.Z{Score: float64(dup.at), Member: dup.m})
	b.rdb.ZAdd(ctx, ixKey(ad, ixInitiator, dup.who), redis.Z{Score: float64(dup.at), Member: dup.m})
	b.rdb.SAdd(ctx, ixKey(ad, ixKinds), kind)
	for _, limit := range []int{1, 7, 200} {
		check(index.ListFilter{Limit: limit})
		check(index.ListFilter{Limit: limit, State: dup.state})
	}
	// The first write of an adapter's indexes unlinks the stale set.
	if _, _, err := b.store.Change(ctx, ad, "o-new", nil, func(d *order.Doc) bool {
		d.Requests = append(d.Requests, order.Request{ID: "r-new", State: platform.Cancelled, Initiator: platform.Buyer, Reason: "changed_mind", OccurredAt: base})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if n := b.rdb.Exists(ctx, ixKey(ad, ixLegacyAll)).Val(); n != 0 {
		t.Error("the set of all requests an earlier version left is still there after a write")
	}
}

// TestStatsAddsUpCountersOfBothVersions: a request counted by an earlier
// version (one counter per state, reason and initiator) and answered by
// this one (one counter per combination, -1 under the old one) adds up to
// one request in its new state, whichever version wrote what.
func TestStatsAddsUpCountersOfBothVersions(t *testing.T) {
	t.Parallel()
	inFormats(t, func(t *testing.T, format int) {
		b := setup(t, setupOpts{windows: platform.Windows{ResponseWindow: time.Hour}, format: format})
		ctx := context.Background()
		ali := "t-aliexpress"
		now := time.Now().UTC()
		b.deliver(t, ali, snapshot("o1", platform.StatusPaid, placed))
		b.deliver(t, ali, oldRequest("o1", "r1", platform.Buyer, "changed_mind", now.Add(-time.Minute)))
		b.waitState(t, ali, "o1", platform.PendingResponse, "synced")
		day := ixKey(ali, ixDay, dayOf(now))
		fields := b.rdb.HGetAll(ctx, day).Val()
		// The request may have waited for its order first (awaiting_order,
		// then 0): only the counters that hold something count here.
		nonzero := 0
		for f, v := range fields {
			if v != "0" {
				nonzero++
			}
			if strings.HasPrefix(f, cntRequest) {
				b.rdb.HDel(ctx, day, f) // rewritten below as an earlier version would have left it
			}
		}
		if fields[requestCounter(platform.PendingResponse, platform.Buyer, "changed_mind")] != "1" || nonzero != 2 {
			t.Fatalf("today's counters %v, want the order and one request counter", fields)
		}
		b.rdb.HSet(ctx, day, cntState+"pending_response", 1, cntReason+"changed_mind", 1, cntInitiator+"buyer", 1)
		b.deliver(t, ali, respond("o1", "r1", platform.Seller, platform.Accept))
		b.waitState(t, ali, "o1", platform.Cancelled, "synced")
		st, err := orderstore.NewConsole(b.store).Stats(ctx, ali, now, now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Requests != 1 || len(st.ByState) != 1 || st.ByState["cancelled"] != 1 ||
			len(st.ByReason) != 1 || st.ByReason["changed_mind"] != 1 || len(st.ByInitiator) != 1 || st.ByInitiator["buyer"] != 1 {
			t.Errorf("stats %d requests, by state %v, reason %v, initiator %v; want one cancelled changed_mind request by the buyer",
				st.Requests, st.ByState, st.ByReason, st.ByInitiator)
		}
	})
}
