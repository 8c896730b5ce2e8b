package orderstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/order/ordertest"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// The console's lists by state, reason and initiator in their two schemes
// (index/facts.go): three sets per request for a document in
// order.FormatJSON, one set of its kind, registered in its tag's registry,
// for one in order.FormatCompact. The names are spelled out here on
// purpose: stored keys outlive a release.

func kindKey(tag, kind string) string { return ixKey(tag, "kind", kind) }
func kindsKey(tag string) string      { return ixKey(tag, "kinds") }
func kindOf(state platform.State, who platform.Party, reason string) string {
	return string(state) + "|" + string(who) + "|" + reason
}
func member(orderID, requestID string) string {
	return strconv.Itoa(len(orderID)) + ":" + orderID + requestID
}

// storeIn is a store on rdb writing format.
func storeIn(rdb redis.UniversalClient, format int) *Store {
	s := NewStore(rdb)
	s.forceFormat = format
	return s
}

// put stores a request of the order in state, occurred at at.
func put(t *testing.T, s *Store, adapterID, orderID, requestID string, state platform.State, who platform.Party, reason string, at time.Time) {
	t.Helper()
	_, _, err := s.Change(context.Background(), adapterID, orderID, nil, func(d *order.Doc) bool {
		if r := d.Request(requestID); r != nil {
			r.State = state
			return true
		}
		d.Requests = append(d.Requests, order.Request{ID: requestID, State: state, Initiator: who, Reason: reason, OccurredAt: at})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listed is what List gives for f, as order/request/state, every page.
func listed(t *testing.T, cons *index.Console, adapterID string, f index.ListFilter) []string {
	t.Helper()
	var out []string
	for range 1000 {
		p, err := cons.List(context.Background(), adapterID, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Items {
			out = append(out, r.OrderID+"/"+r.RequestID+"/"+string(r.State))
		}
		if f.Cursor = p.Next; f.Cursor == "" {
			return out
		}
	}
	t.Fatal("paging did not end")
	return nil
}

// scripts counts the compare-and-sets run through a client.
type scripts struct{ n atomic.Int32 }

func (s *scripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *scripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "evalsha" || cmd.Name() == "eval" {
			s.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (s *scripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestAChangeInAnotherFormatMovesTheIndexEntries: a request stored in
// FormatJSON (in the state, reason and initiator sets) and changed by a
// store that writes FormatCompact is, after that one script, in the set of
// its new kind only, and listed once, under its new state; changed back by
// a store that writes FormatJSON (a rollback) it is in the three sets
// again and nowhere else.
func TestAChangeInAnotherFormatMovesTheIndexEntries(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ctx := context.Background()
	ad := "t-selfservice"
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	old, compact := storeIn(rdb, order.FormatJSON), storeIn(rdb, order.FormatCompact)
	put(t, old, ad, "o-1", "r-1", platform.PendingResponse, platform.Buyer, "changed_mind", at)
	put(t, old, ad, "o-2", "r-2", platform.Cancelled, platform.Seller, "other", at.Add(time.Second))
	m := member("o-1", "r-1")
	legacy := []string{ixKey(ad, "state", "pending_response"), ixKey(ad, "reason", "changed_mind"), ixKey(ad, "initiator", "buyer")}
	for _, k := range legacy {
		if _, err := rdb.ZScore(ctx, k, m).Result(); err != nil {
			t.Fatalf("written in FormatJSON, the request is not in %s: %v", k, err)
		}
	}
	if n := rdb.Exists(ctx, kindsKey(ad)).Val(); n != 0 {
		t.Fatal("FormatJSON registered a kind")
	}

	count := &scripts{}
	rdb.AddHook(count)
	put(t, compact, ad, "o-1", "r-1", platform.Cancelled, platform.Buyer, "changed_mind", at)
	if n := count.n.Load(); n != 1 {
		t.Fatalf("the change ran %d scripts, want one", n)
	}
	for _, k := range legacy {
		if n := rdb.Exists(ctx, k).Val(); n != 0 {
			t.Errorf("%s is left after the change in FormatCompact: %v", k, rdb.ZRange(ctx, k, 0, -1).Val())
		}
	}
	if _, err := rdb.ZScore(ctx, ixKey(ad, "state", "cancelled"), m).Result(); err == nil {
		t.Error("the request is in the state set of its new state too")
	}
	kind := kindOf(platform.Cancelled, platform.Buyer, "changed_mind")
	if s, err := rdb.ZScore(ctx, kindKey(ad, kind), m).Result(); err != nil || int64(s) != at.UnixMilli() {
		t.Errorf("the request is not in its kind's set with its occurred_at: %v %v", s, err)
	}
	if kinds := rdb.SMembers(ctx, kindsKey(ad)).Val(); !slices.Equal(kinds, []string{kind}) {
		t.Errorf("registry %v, want [%s]", kinds, kind)
	}
	cons := NewConsole(compact)
	for _, c := range []struct {
		f    index.ListFilter
		want []string
	}{
		{index.ListFilter{}, []string{"o-2/r-2/cancelled", "o-1/r-1/cancelled"}},
		{index.ListFilter{State: "cancelled"}, []string{"o-2/r-2/cancelled", "o-1/r-1/cancelled"}},
		{index.ListFilter{State: "cancelled", Initiator: "buyer"}, []string{"o-1/r-1/cancelled"}},
		{index.ListFilter{Reason: "other", State: "cancelled"}, []string{"o-2/r-2/cancelled"}},
		{index.ListFilter{Reason: "changed_mind"}, []string{"o-1/r-1/cancelled"}},
		{index.ListFilter{State: "pending_response"}, nil},
		{index.ListFilter{Limit: 1}, []string{"o-2/r-2/cancelled", "o-1/r-1/cancelled"}},
	} {
		if got := listed(t, cons, ad, c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}

	// Back to FormatJSON: out of the kind's set, into the three.
	put(t, old, ad, "o-1", "r-1", platform.Withdrawn, platform.Buyer, "changed_mind", at)
	if n := rdb.Exists(ctx, kindKey(ad, kind)).Val(); n != 0 {
		t.Error("the kind's set is left after the change in FormatJSON")
	}
	for _, k := range []string{ixKey(ad, "state", "withdrawn"), ixKey(ad, "reason", "changed_mind"), ixKey(ad, "initiator", "buyer")} {
		if _, err := rdb.ZScore(ctx, k, m).Result(); err != nil {
			t.Errorf("changed in FormatJSON, the request is not in %s: %v", k, err)
		}
	}
	if got, want := listed(t, cons, ad, index.ListFilter{}), []string{"o-2/r-2/cancelled", "o-1/r-1/withdrawn"}; !slices.Equal(got, want) {
		t.Errorf("after the change back: %v, want %v", got, want)
	}
}

// commandCalls is INFO commandstats as calls by command.
func commandCalls(t *testing.T, rdb redis.UniversalClient) map[string]int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		n, err := strconv.ParseInt(calls, 10, 64)
		if err != nil {
			t.Fatalf("commandstats line %q", line)
		}
		out[strings.TrimPrefix(name, "cmdstat_")] = n
	}
	return out
}

// TestAKindIsRegisteredOncePerProcess: the registry of kinds is written by
// the first change that adds to a kind's set, and then not again by that
// process (Redis's own count of SADD calls, scripts' included); another
// process registers it once more, which adds nothing.
func TestAKindIsRegisteredOncePerProcess(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ctx := context.Background()
	ad := "t-selfservice"
	at := time.Now().UTC().Add(-time.Hour)
	sadds := func() int64 { return commandCalls(t, rdb)["sadd"] }
	s := storeIn(rdb, order.FormatCompact)
	before := sadds()
	for i := range 20 {
		put(t, s, ad, fmt.Sprintf("o-%d", i), "r", platform.PendingResponse, platform.Buyer, "changed_mind", at.Add(time.Duration(i)*time.Second))
	}
	if n := sadds() - before; n != 1 {
		t.Errorf("20 requests of one kind: %d SADDs, want 1", n)
	}
	// A new kind: once more, whether new requests or changed ones bring it.
	for i := range 20 {
		put(t, s, ad, fmt.Sprintf("o-%d", i), "r", platform.Cancelled, platform.Buyer, "changed_mind", at)
	}
	if n := sadds() - before; n != 2 {
		t.Errorf("and 20 changed to a second kind: %d SADDs, want 2", n)
	}
	// Another process does not know what this one registered.
	other := storeIn(rdb, order.FormatCompact)
	for i := range 5 {
		put(t, other, ad, fmt.Sprintf("p-%d", i), "r", platform.PendingResponse, platform.Buyer, "changed_mind", at)
	}
	if n := sadds() - before; n != 3 {
		t.Errorf("and 5 by another process: %d SADDs, want 3", n)
	}
	want := []string{kindOf(platform.Cancelled, platform.Buyer, "changed_mind"), kindOf(platform.PendingResponse, platform.Buyer, "changed_mind")}
	if got := rdb.SMembers(ctx, kindsKey(ad)).Val(); !slices.Equal(sorted(got), want) {
		t.Errorf("registry %v, want %v", got, want)
	}
	// A script that stores nothing registers nothing: the next change
	// registers the kind.
	third := storeIn(rdb, order.FormatCompact)
	known := Stored{present: false} // wrong: o-0 has a document
	if _, _, err := third.Change(ctx, ad, "o-0", &known, func(d *order.Doc) bool {
		d.Requests = append(d.Requests, order.Request{ID: "r-x", State: platform.Denied, Initiator: platform.Seller, Reason: "other", OccurredAt: at})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if !rdb.SIsMember(ctx, kindsKey(ad), kindOf(platform.Denied, platform.Seller, "other")).Val() {
		t.Error("a kind added after a refused compare-and-set is not registered")
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

// TestIndexCostPerRequest measures, on redis-server, what the lists by
// state, reason and initiator cost per request in each scheme: Redis
// memory (INFO used_memory, before and after deleting those sets) and
// commands per new cancellation (INFO commandstats). Requests of one kind
// fill sets past their listpack encoding, as an adapter with many requests
// does; requests of many kinds (11 reasons, 2 initiators, 2 states) keep
// the kind sets small. Run with -v for the figures (BENCHMARKS.md).
func TestIndexCostPerRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ctx := context.Background()
	ad := &platform.Adapter{ID: "t-self", Platform: "selfservice", Rules: selfservice.Policy{}}
	const n = 2000
	type cost struct{ bytes, zadd, zrem, sadd, all float64 }
	measure := func(format int, spread bool) cost {
		t.Helper()
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		s := storeIn(rdb, format)
		now := time.Now().UTC()
		s.Now = func() time.Time { return now }
		for i := range n {
			o := "o-" + strconv.Itoa(i)
			if _, _, err := s.Change(ctx, ad.ID, o, nil, func(d *order.Doc) bool {
				tr := &order.Transition{Doc: d, OrderID: o, Adapter: ad, OrderWait: time.Minute, Now: now}
				tr.ApplyDelivery("w-"+o, now, ordertest.Snapshot(o, platform.StatusPaid, ordertest.Placed))
				return tr.Changed()
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Warm-up: every kind registered, every set trimmed once.
		for i, who := range []platform.Party{platform.Buyer, platform.Seller} {
			for j, reason := range platform.Reasons {
				for _, st := range []platform.State{platform.Cancelled, platform.PendingResponse} {
					o := fmt.Sprintf("warm-%d-%d-%s", i, j, st)
					put(t, s, ad.ID, o, "r", st, who, reason, now.Add(-time.Hour))
				}
			}
		}
		used := func() float64 {
			mem := rdb.Info(ctx, "memory").Val()
			i := strings.Index(mem, "used_memory:")
			v, _, _ := strings.Cut(mem[i+len("used_memory:"):], "\r\n")
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		calls0 := commandCalls(t, rdb)
		for i := range n {
			o := "o-" + strconv.Itoa(i)
			who, reason := platform.Buyer, "changed_mind"
			if spread {
				who, reason = []platform.Party{platform.Buyer, platform.Seller}[i%2], platform.Reasons[i%len(platform.Reasons)]
			}
			if _, _, err := s.Change(ctx, ad.ID, o, nil, func(d *order.Doc) bool {
				tr := &order.Transition{Doc: d, OrderID: o, Adapter: ad, OrderWait: time.Minute, Now: now}
				tr.ApplyDelivery("w-r-"+o, now, ordertest.OldRequest(o, "cr-"+o, who, reason, now.Add(-time.Duration(i)*time.Millisecond)))
				return tr.Changed()
			}); err != nil {
				t.Fatal(err)
			}
		}
		calls1 := commandCalls(t, rdb)
		m1 := used()
		var sets []string
		for _, name := range []string{"state", "reason", "initiator", "kind"} {
			sets = append(sets, rdb.Keys(ctx, "cancelsync:ix:{"+ad.ID+"}:"+name+":*").Val()...)
		}
		if err := rdb.Del(ctx, sets...).Err(); err != nil {
			t.Fatal(err)
		}
		m2 := used()
		var all int64
		for c, v := range calls1 {
			if c != "info" { // the reads of commandstats
				all += v - calls0[c]
			}
		}
		per := func(v int64) float64 { return float64(v) / n }
		return cost{bytes: (m1 - m2) / n, zadd: per(calls1["zadd"] - calls0["zadd"]), zrem: per(calls1["zrem"] - calls0["zrem"]),
			sadd: per(calls1["sadd"] - calls0["sadd"]), all: per(all)}
	}
	for _, spread := range []bool{false, true} {
		json, compact := measure(order.FormatJSON, spread), measure(order.FormatCompact, spread)
		for _, c := range []struct {
			name string
			c    cost
		}{{"FormatJSON (state, reason, initiator sets)", json}, {"FormatCompact (kind sets)", compact}} {
			t.Logf("spread over kinds %-5v %-44s %6.1f B of those sets per request; per new cancellation: %.4f ZADD, %.4f ZREM, %.4f SADD, %.4f commands in all",
				spread, c.name, c.c.bytes, c.c.zadd, c.c.zrem, c.c.sadd, c.c.all)
		}
		// Counts of n cancellations, compared exactly: one buyer becomes a
		// repeat canceller on the way (one ZADD more in either scheme).
		if math.Round(compact.zadd*n) != math.Round((json.zadd-2)*n) || compact.sadd != 0 {
			t.Errorf("per new cancellation: %.4f ZADDs and %.4f SADDs in FormatCompact, want %.4f (two fewer than FormatJSON) and none", compact.zadd, compact.sadd, json.zadd-2)
		}
		if compact.bytes >= json.bytes/2 {
			t.Errorf("the kind sets take %.0f B per request, the three sets %.0f B: want less than half", compact.bytes, json.bytes)
		}
	}
}

// TestListByStateOnACluster: on a Redis Cluster each order writes its
// bucket's kind set and registry, in its own hash slot, and a list by state
// merges every bucket's kinds of that state with the state sets, newest
// first, across pages.
func TestListByStateOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster")
	}
	t.Parallel()
	rdb := redistest.StartCluster(t, redistest.ClusterOptions{}).Client()
	ctx := context.Background()
	ad := "t-selfservice"
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	old, compact := storeIn(rdb, order.FormatJSON), storeIn(rdb, order.FormatCompact)
	var want []string
	for i := range 60 {
		s, st := old, platform.Cancelled
		if i%2 == 0 {
			s = compact
		}
		if i%3 == 0 {
			st = platform.Denied
		}
		o := fmt.Sprintf("o-%02d", i)
		put(t, s, ad, o, "r", st, []platform.Party{platform.Buyer, platform.Seller}[i%2], platform.Reasons[i%4], base.Add(time.Duration(i)*time.Second))
		if st == platform.Cancelled {
			want = append(want, o+"/r/cancelled")
		}
	}
	slices.Reverse(want)
	buckets := map[string]bool{}
	for _, tag := range old.l.tags(ad) {
		if rdb.Exists(ctx, ixKey(tag, "kinds")).Val() == 1 {
			buckets[tag] = true
		}
	}
	if len(buckets) < 4 {
		t.Errorf("kinds registered in %d buckets: want them spread", len(buckets))
	}
	cons := NewConsole(compact)
	for _, limit := range []int{1, 7, 50} {
		if got := listed(t, cons, ad, index.ListFilter{State: "cancelled", Limit: limit}); !slices.Equal(got, want) {
			t.Errorf("limit %d: %v\nwant %v", limit, got, want)
		}
	}
	got := listed(t, cons, ad, index.ListFilter{State: "cancelled", Initiator: "seller", Reason: platform.Reasons[1]})
	var exp []string
	for _, w := range want {
		var i int
		fmt.Sscanf(w, "o-%d", &i)
		if i%2 == 1 && i%4 == 1 {
			exp = append(exp, w)
		}
	}
	if !slices.Equal(got, exp) {
		t.Errorf("cancelled by the seller for %s: %v, want %v", platform.Reasons[1], got, exp)
	}
}

// reads counts what the console's reads cost through a client: round
// trips (pipelines) and sorted-set members fetched.
type reads struct{ trips, members int }

func (r *reads) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (r *reads) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (r *reads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		r.trips++
		for _, c := range cmds {
			if z, ok := c.(*redis.ZSliceCmd); ok {
				r.members += len(z.Val())
			}
		}
		return err
	}
}

// TestListReadsWhatThePageNeeds: a page of a list takes two round trips
// in FormatJSON, as before the kind sets (the registries are read with
// the first range reads), three with kind sets; and over many kind sets
// it fetches a few members of each, not a page of each.
func TestListReadsWhatThePageNeeds(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ctx := context.Background()
	ad := "t-selfservice"
	at := time.Now().UTC().Add(-time.Hour).UnixMilli()
	p := rdb.Pipeline()
	kinds := 0
	for _, st := range platform.States {
		for _, who := range []platform.Party{platform.Buyer, platform.Seller} {
			for _, reason := range platform.Reasons {
				k := kindOf(st, who, reason)
				p.SAdd(ctx, kindsKey(ad), k)
				for i := range 60 {
					p.ZAdd(ctx, kindKey(ad, k), redis.Z{Score: float64(at - int64(kinds+i*200)), Member: member(fmt.Sprintf("o-%d-%d", kinds, i), "r")})
				}
				kinds++
			}
		}
	}
	for i := range 300 {
		p.ZAdd(ctx, ixKey("t-json", "state", "cancelled"), redis.Z{Score: float64(at - int64(i)), Member: member(fmt.Sprintf("o-%d", i), "r")})
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	cons := NewConsole(NewStore(rdb))
	cost := &reads{}
	rdb.AddHook(cost)
	for _, c := range []struct {
		adapter            string
		limit, trips, most int
	}{
		{"t-json", 50, 2, 6 * 51},     // six state sets, a page each at most, as before
		{ad, 50, 3, kinds*4 + 4*51},   // a few of each kind set, and the page again from a few
		{ad, 200, 4, kinds*5 + 4*201}, // likewise
	} {
		*cost = reads{}
		pg, err := cons.List(ctx, c.adapter, index.ListFilter{Limit: c.limit})
		if err != nil || len(pg.Items) != c.limit {
			t.Fatalf("%s: %d rows, %v", c.adapter, len(pg.Items), err)
		}
		if cost.trips > c.trips || cost.members > c.most {
			t.Errorf("%s, page of %d: %d round trips, %d members fetched; want at most %d and %d", c.adapter, c.limit, cost.trips, cost.members, c.trips, c.most)
		}
		t.Logf("%s, page of %d: %d round trips, %d members fetched", c.adapter, c.limit, cost.trips, cost.members)
	}
}
