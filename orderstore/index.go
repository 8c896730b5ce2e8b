package orderstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// The merchant console's indexes (docs/OPERATIONS.md, "For merchants"): per
// adapter sorted sets and per-day counters, written by the same script that
// stores the order document, so they never disagree with it and lists and
// counts never scan Redis. What is written is the difference between the
// facts of the document before and after a change: a request that moves
// from pending_response to cancelled leaves the pending sets and enters the
// cancelled ones, and its day's counters move by -1 and +1.
//
// Where the keys are is keys.go's: on one Redis every key of an adapter's
// indexes carries the adapter's tag; on a cluster an order writes its
// bucket's share, in its own hash slot, and reads merge the buckets.

// DefaultRetention is how long indexes and day counters keep an entry.
const DefaultRetention = 90 * 24 * time.Hour

// RepeatWindow and RepeatThreshold define a repeat canceller: a buyer with
// RepeatThreshold or more cancelled requests of their own within
// RepeatWindow.
const (
	RepeatWindow    = 30 * 24 * time.Hour
	RepeatThreshold = 3
)

// Index names: sorted sets of request members (see indexMember) scored by
// the request's occurred_at in Unix milliseconds, unless noted.
const (
	// ixLegacyAll held every request in earlier releases; List merges the state
	// sets instead. Nothing writes it now; a store unlinks it once a
	// minute it writes an adapter's indexes (indexOps), so a set left by
	// an earlier version, or by one still running in a rolling upgrade,
	// goes away.
	ixLegacyAll  = "all"
	ixState      = "state"      // by current state (key part: the state)
	ixReason     = "reason"     // by reason (key part: the reason)
	ixInitiator  = "initiator"  // by initiator (key part: the party)
	ixPending    = "pending"    // pending_response, scored by respond_by
	ixSellerHit  = "sellerhit"  // affects_seller_stats (fiverr)
	ixSyncQueued = "syncqueued" // current state not yet acknowledged by the platform
	ixSyncFailed = "syncfailed" // current state's sync failed (dead letter)
	ixConflicts  = "conflicts"  // order ids, scored by the order's updated_at
	ixBuyer      = "buyer"      // one buyer's cancelled requests (key part: the buyer)
	ixRepeat     = "repeat"     // buyer ids, scored by their latest cancellation
	ixDay        = "day"        // hash of counters (key part: the UTC day, 2006-01-02)
)

// Day counter fields.
const (
	cntOrders = "o" // orders whose first snapshot was placed that day
	// A field "n" counted requests per day until every request counted
	// once under its state was enough: the day's requests are the sum of
	// its requests by state (one command less per request). Day hashes
	// written before hold it; Stats ignores it.
	// cntRequest + state|initiator|reason counts requests by all three at
	// once: one counter per request instead of one per dimension;
	// Stats adds them up by each. Day hashes written before hold
	// cntState, cntReason and cntInitiator fields instead (or as well, on
	// the day of an upgrade), which Stats adds in: a request counted there
	// and changed since is -1 under its old combination here, so the sums
	// stay right.
	cntRequest   = "c:"
	cntState     = "s:" // + state: requests by current state (before cntRequest)
	cntReason    = "r:" // + reason (before cntRequest)
	cntInitiator = "i:" // + initiator (before cntRequest)
	cntDenial    = "d:" // + denial reason
	cntSellerHit = "ss" // requests that count against the seller
)

// requestCounter is the cntRequest field of a request in state, by who,
// for reason. The reason goes last: states and parties never hold '|', a
// reason might.
func requestCounter(state platform.State, who platform.Party, reason string) string {
	return cntRequest + string(state) + "|" + string(who) + "|" + reason
}

// splitRequestCounter is requestCounter's inverse, given the field
// without its prefix.
func splitRequestCounter(f string) (state, who, reason string, ok bool) {
	state, rest, ok1 := strings.Cut(f, "|")
	who, reason, ok2 := strings.Cut(rest, "|")
	return state, who, reason, ok1 && ok2
}

// indexMember is a request's member in the indexes: the order id
// length-prefixed, then the request id, so that it splits back exactly.
func indexMember(orderID, requestID string) string {
	return strconv.Itoa(len(orderID)) + ":" + orderID + requestID
}

// splitMember is indexMember's inverse.
func splitMember(m string) (orderID, requestID string, ok bool) {
	i := strings.IndexByte(m, ':')
	if i <= 0 {
		return "", "", false
	}
	n, err := strconv.Atoi(m[:i])
	if err != nil || n < 0 || i+1+n > len(m) {
		return "", "", false
	}
	return m[i+1 : i+1+n], m[i+1+n:], true
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// zfact is one member of one sorted set with its score; cfact one counter
// of one day. req names the request that contributes it ("" for the
// order's own).
type zfact struct {
	req, key, member string
	score            int64
}
type cfact struct{ req, day, field string }

// docFacts is what a document contributes to the indexes: per request (so
// that a request compacted out of the document keeps what it contributed),
// and for the order. Plain slices, searched linearly: a document has a few
// dozen facts at most, and maps cost more than the search (BenchmarkIndexOps).
type docFacts struct {
	z    []zfact
	c    []cfact
	reqs []string // the requests present
	// cancelled are the buyer-initiated requests that cancelled the
	// order, with the buyer: what the repeat canceller sets count.
	cancelled []cancelFact
	// dead are the versions whose sync failed for good (deadletter.go).
	dead []deadFact
}

type cancelFact struct{ req, buyer string }

// has reports whether request id is in the document the facts are of.
func (f *docFacts) has(id string) bool {
	for _, r := range f.reqs {
		if r == id {
			return true
		}
	}
	return false
}

// factsOf collects the index facts of d, keyed in layout l.
func factsOf(l layout, adapterID, orderID string, d *order.Doc) docFacts {
	var f docFacts
	if d == nil {
		return f
	}
	tag := l.tag(adapterID, orderID)
	if o := d.Order; o != nil {
		f.c = append(f.c, cfact{"", dayOf(o.PlacedAt), cntOrders})
		if d.Conflict != "" {
			f.z = append(f.z, zfact{"", ixKey(tag, ixConflicts), orderID, ms(o.UpdatedAt)})
		}
	}
	if len(d.Requests) == 0 {
		return f
	}
	f.reqs = make([]string, 0, len(d.Requests))
	f.z = slicesGrow(f.z, 5*len(d.Requests))
	f.c = slicesGrow(f.c, 3*len(d.Requests))
	for i := range d.Requests {
		r := &d.Requests[i]
		f.reqs = append(f.reqs, r.ID)
		m, at := indexMember(orderID, r.ID), ms(r.OccurredAt)
		f.z = append(f.z,
			zfact{r.ID, ixKey(tag, ixState, string(r.State)), m, at},
			zfact{r.ID, ixKey(tag, ixReason, r.Reason), m, at},
			zfact{r.ID, ixKey(tag, ixInitiator, string(r.Initiator)), m, at})
		day := dayOf(r.OccurredAt)
		f.c = append(f.c, cfact{r.ID, day, requestCounter(r.State, r.Initiator, r.Reason)})
		if r.State == platform.PendingResponse && r.RespondBy != nil {
			f.z = append(f.z, zfact{r.ID, ixKey(tag, ixPending), m, ms(*r.RespondBy)})
		}
		if r.Denial != "" {
			f.c = append(f.c, cfact{r.ID, day, cntDenial + string(r.Denial)})
		}
		if r.SellerHit {
			f.z = append(f.z, zfact{r.ID, ixKey(tag, ixSellerHit), m, at})
			f.c = append(f.c, cfact{r.ID, day, cntSellerHit})
		}
		switch {
		case r.Sync == order.SyncFailed:
			f.z = append(f.z, zfact{r.ID, ixKey(tag, ixSyncFailed), m, at})
			f.dead = append(f.dead, deadFact{req: r.ID, version: r.Version, round: r.Round, attempts: r.Attempts, err: r.LastError})
		case r.Unsent(d.Acked):
			f.z = append(f.z, zfact{r.ID, ixKey(tag, ixSyncQueued), m, at})
		}
		if r.State == platform.Cancelled && r.Initiator == platform.Buyer && d.Order != nil && d.Order.BuyerID != "" {
			f.cancelled = append(f.cancelled, cancelFact{r.ID, d.Order.BuyerID})
		}
	}
	return f
}

// slicesGrow makes room for n more elements.
func slicesGrow[T any](s []T, n int) []T {
	if cap(s)-len(s) < n {
		s = append(make([]T, 0, len(s)+n), s...)
	}
	return s
}

// indexOp is one command of the index script (see indexLua): op, a key,
// and up to three arguments.
type indexOp struct {
	op      string
	key     string
	a, b, c string
}

// indexOps turns the difference between the facts of a document before a
// change and the document after it into the script's commands. now and
// retention bound what is kept: an entry already past now-retention is not
// added; a set written to is trimmed below now-retention when trim says so
// for its key (nil: on every write; Store.trimDue: on the first write of a
// minute), day counters expire retention after their day.
func indexOps(l layout, adapterID, orderID string, before docFacts, after *order.Doc, now time.Time, retention time.Duration, trim func(key string) bool) []indexOp {
	next := factsOf(l, adapterID, orderID, after)
	tag := l.tag(adapterID, orderID)
	// A request compacted out of the document is not in next: what it
	// contributed stays, so only the order's facts and those of requests
	// still present are compared. Linear searches below: a document has a
	// few dozen facts (at most a few hundred with order.MaxRequests requests).
	var oldZ []zfact
	for _, z := range before.z {
		if z.req == "" || next.has(z.req) {
			oldZ = append(oldZ, z)
		}
	}
	var oldC []cfact
	for _, c := range before.c {
		if c.req == "" || next.has(c.req) {
			oldC = append(oldC, c)
		}
	}
	findZ := func(zs []zfact, key, member string) (int64, bool) {
		for i := range zs {
			if zs[i].key == key && zs[i].member == member {
				return zs[i].score, true
			}
		}
		return 0, false
	}
	// count is how often (day, field) occurs in cs, and whether cs holds
	// it at an index below upto (an earlier duplicate, already handled).
	count := func(cs []cfact, day, field string, upto int) (n int, seen bool) {
		for i := range cs {
			if cs[i].day == day && cs[i].field == field {
				n++
				if i < upto {
					seen = true
				}
			}
		}
		return n, seen
	}

	ops := make([]indexOp, 0, 16)
	cutoff := ms(now.Add(-retention))
	for _, z := range oldZ {
		if _, ok := findZ(next.z, z.key, z.member); !ok && !zDone(ops, "zr", z.key, z.member) {
			ops = append(ops, indexOp{op: "zr", key: z.key, a: z.member})
		}
	}
	for _, z := range next.z {
		old, ok := findZ(oldZ, z.key, z.member)
		if ok && old == z.score {
			continue
		}
		if z.score < cutoff {
			// Past the retention already: the trim would remove it at once.
			if ok && !zDone(ops, "zr", z.key, z.member) {
				ops = append(ops, indexOp{op: "zr", key: z.key, a: z.member})
			}
			continue
		}
		if zAdded(ops, z.key, z.member) {
			continue
		}
		trimmed := zTrimmed(ops, z.key)
		ops = append(ops, indexOp{op: "za", key: z.key, a: itoa(z.score), b: z.member})
		if !trimmed && (trim == nil || trim(z.key)) {
			ops = append(ops, indexOp{op: "zt", key: z.key, a: itoa(cutoff)})
		}
	}
	if len(ops) > 0 && !l.cluster { // no earlier release wrote to a cluster
		if k := ixKey(tag, ixLegacyAll); trim == nil || trim(k) {
			ops = append(ops, indexOp{op: "ul", key: k})
		}
	}
	var days []string
	touch := func(day string) {
		for _, d := range days {
			if d == day {
				return
			}
		}
		days = append(days, day)
	}
	for i, c := range next.c {
		n, seen := count(next.c, c.day, c.field, i)
		if seen {
			continue
		}
		old, _ := count(oldC, c.day, c.field, 0)
		if d := n - old; d != 0 {
			ops = append(ops, indexOp{op: "hi", key: ixKey(tag, ixDay, c.day), a: c.field, b: strconv.Itoa(d)})
			touch(c.day)
		}
	}
	for i, c := range oldC {
		old, seen := count(oldC, c.day, c.field, i)
		if seen {
			continue
		}
		if n, _ := count(next.c, c.day, c.field, 0); n == 0 && old != 0 {
			ops = append(ops, indexOp{op: "hi", key: ixKey(tag, ixDay, c.day), a: c.field, b: strconv.Itoa(-old)})
			touch(c.day)
		}
	}
	for _, day := range days {
		t, _ := time.Parse(time.DateOnly, day)
		// "hx": only when this script created the hash. Its expiry is a
		// fixed time, so once set it needs no refresh (one
		// command less per counted change).
		ops = append(ops, indexOp{op: "hx", key: ixKey(tag, ixDay, day), a: itoa(ms(t.Add(24*time.Hour + retention)))})
	}
	for _, cf := range next.cancelled {
		if wasCancelled(before.cancelled, cf.req) {
			continue
		}
		r := after.Request(cf.req)
		at := ms(r.OccurredAt)
		// The buyer's set is in the bucket of the buyer, with the
		// repeat cancellers it adds to (keys.go).
		btag := l.tag(adapterID, cf.buyer)
		bk := ixKey(btag, ixBuyer, cf.buyer)
		// "zc" counts the set for "rp", which follows it.
		ops = append(ops,
			indexOp{op: "za", key: bk, a: itoa(at), b: indexMember(orderID, cf.req)},
			indexOp{op: "zc", key: bk, a: itoa(max(cutoff, ms(now.Add(-RepeatWindow))))},
			indexOp{op: "ex", key: bk, a: itoa(ms(now.Add(RepeatWindow)))},
			indexOp{op: "rp", key: bk, a: ixKey(btag, ixRepeat), b: itoa(at), c: cf.buyer},
		)
	}
	if len(before.dead) > 0 || len(next.dead) > 0 {
		ops = append(ops, deadOps(tag, adapterID, orderID, before, next, after, now, retention, trim)...)
	}
	return ops
}

func wasCancelled(cs []cancelFact, req string) bool {
	for _, c := range cs {
		if c.req == req {
			return true
		}
	}
	return false
}

// zDone reports whether ops already has op on (key, member).
func zDone(ops []indexOp, op, key, member string) bool {
	for _, o := range ops {
		if o.op == op && o.key == key && o.a == member {
			return true
		}
	}
	return false
}

// zAdded reports whether ops already adds member to key.
func zAdded(ops []indexOp, key, member string) bool {
	for _, o := range ops {
		if o.op == "za" && o.key == key && o.b == member {
			return true
		}
	}
	return false
}

// zTrimmed reports whether ops already trims key.
func zTrimmed(ops []indexOp, key string) bool {
	for _, o := range ops {
		if o.op == "zt" && o.key == key {
			return true
		}
	}
	return false
}

// indexArgs appends ops to a script's keys and arguments in indexLua's
// layout: a count, then five arguments per op (op, key index, a, b, c);
// keys go after the first nkeys.
func indexArgs(keys []string, args []any, ops []indexOp) ([]string, []any) {
	pos := map[string]int{}
	keyIdx := func(k string) string {
		if i, ok := pos[k]; ok {
			return strconv.Itoa(i)
		}
		keys = append(keys, k)
		pos[k] = len(keys)
		return strconv.Itoa(len(keys))
	}
	args = append(args, len(ops))
	for _, o := range ops {
		a := o.a
		if o.op == "rp" {
			a = keyIdx(o.a)
		}
		args = append(args, o.op, keyIdx(o.key), a, o.b, o.c)
	}
	return keys, args
}

// split parts ops, on a cluster, into those in the order's bucket (tag),
// which its compare-and-set runs, those to run before it (adding the
// adapter to the set of adapters with dead letters, which only grows: a
// store that then fails leaves an adapter with no dead letter listed) and
// those to run after it (a buyer's set, in the buyer's bucket). On one
// Redis the compare-and-set runs them all.
func (l layout) split(ops []indexOp, tag string) (own, before, after []indexOp) {
	if !l.cluster {
		return ops, nil, nil
	}
	own = make([]indexOp, 0, len(ops))
	for _, o := range ops {
		switch {
		case tagOf(o.key) == tag:
			own = append(own, o)
		case o.op == "sa":
			before = append(before, o)
		default:
			after = append(after, o)
		}
	}
	return own, before, after
}

// opsScript runs indexArgs' commands on their own, all of one tag.
var opsScript = redis.NewScript(indexLua(1))

// runOps runs ops outside a compare-and-set: one script per tag, in
// order, so each stays in one hash slot.
func (s *Store) runOps(ctx context.Context, ops []indexOp) error {
	for len(ops) > 0 {
		tag := tagOf(ops[0].key)
		var group, rest []indexOp
		for _, o := range ops {
			if tagOf(o.key) == tag {
				group = append(group, o)
			} else {
				rest = append(rest, o)
			}
		}
		keys, args := indexArgs(nil, nil, group)
		if err := opsScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		ops = rest
	}
	return nil
}

// indexLua applies indexArgs' commands; the compare-and-set script runs it
// right after storing the document. argBase is the index of the count.
func indexLua(argBase int) string {
	return `
local nops = tonumber(ARGV[` + strconv.Itoa(argBase) + `] or "0") or 0
local ai = ` + strconv.Itoa(argBase+1) + `
local created, cards = {}, {}
for _ = 1, nops do
  local op, k, a, b, c = ARGV[ai], KEYS[tonumber(ARGV[ai+1])], ARGV[ai+2], ARGV[ai+3], ARGV[ai+4]
  ai = ai + 5
  if op == "za" then redis.call("ZADD", k, a, b)
  elseif op == "zr" then redis.call("ZREM", k, a)
  elseif op == "ul" then redis.call("UNLINK", k)
  elseif op == "zt" then redis.call("ZREMRANGEBYSCORE", k, "-inf", "(" .. a)
  elseif op == "zc" then
    -- a buyer's set: counted, and trimmed only when the count could make
    -- a repeat canceller (entries past the window matter only then; the
    -- set expires a window after its latest entry anyway), for "rp"
    local n = redis.call("ZCARD", k)
    if n >= ` + strconv.Itoa(RepeatThreshold) + ` then
      n = n - redis.call("ZREMRANGEBYSCORE", k, "-inf", "(" .. a)
    end
    cards[k] = n
  elseif op == "hi" then
    -- a field HINCRBY returns its delta for was created, maybe with the hash
    if redis.call("HINCRBY", k, a, b) == tonumber(b) then created[k] = true end
  elseif op == "ex" then redis.call("PEXPIREAT", k, a)
  elseif op == "hx" then
    if created[k] then redis.call("PEXPIREAT", k, a) end
  elseif op == "sv" then
    redis.call("SET", k, a)
    redis.call("PEXPIREAT", k, b)
  elseif op == "sa" then redis.call("SADD", k, a)
  elseif op == "sx" then
    if a == "" then redis.call("SET", k, "1") else redis.call("SET", k, "1", "PX", a) end
  elseif op == "rp" then
    if cards[k] >= ` + strconv.Itoa(RepeatThreshold) + ` then
      local rk = KEYS[tonumber(a)]
      local cur = redis.call("ZSCORE", rk, c)
      if (not cur) or tonumber(cur) < tonumber(b) then redis.call("ZADD", rk, b, c) end
    end
  end
end
`
}

// trimEvery is how often one process trims a console set it writes to:
// entries leave a set at most this long after their retention ends (if it
// is written to at all), and a busy set costs one trim a minute instead of
// one per write.
const trimEvery = time.Minute

// trimDue reports whether the set at key is due for a trim, and if so
// notes that it is trimmed now.
func (s *Store) trimDue(key string) bool {
	at := s.now().UnixNano()
	s.trimMu.Lock()
	defer s.trimMu.Unlock()
	if last, ok := s.trimmed[key]; ok && at-last < int64(trimEvery) && at >= last {
		return false
	}
	if s.trimmed == nil || len(s.trimmed) >= maxTrimKeys {
		s.trimmed = map[string]int64{} // bounded; forgetting only trims again
	}
	s.trimmed[key] = at
	return true
}

// maxTrimKeys bounds trimDue's memory (a set per state, reason, initiator
// and adapter: a few hundred in practice).
const maxTrimKeys = 4096

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}
