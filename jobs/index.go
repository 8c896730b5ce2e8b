package jobs

import (
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// The merchant console's indexes (docs/OPERATIONS.md, "For merchants"): per
// adapter sorted sets and per-day counters, written by the same script that
// stores the order document, so they never disagree with it and lists and
// counts never scan Redis. What is written is the difference between the
// facts of the document before and after a change: a request that moves
// from pending_response to cancelled leaves the pending sets and enters the
// cancelled ones, and its day's counters move by -1 and +1.
//
// Every key of an adapter's indexes carries the adapter's hash tag. The
// order document has its own tag, so the script that writes both runs on
// one Redis (single node or Sentinel, as README.md requires), not Cluster.

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
	ixAll        = "all"        // every request
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
	cntOrders    = "o"  // orders whose first snapshot was placed that day
	cntRequests  = "n"  // requests that occurred that day
	cntState     = "s:" // + state: requests by current state
	cntReason    = "r:" // + reason
	cntInitiator = "i:" // + initiator
	cntDenial    = "d:" // + denial reason
	cntSellerHit = "ss" // requests that count against the seller
)

// ixKey names an index of an adapter. Parts are length-prefixed, as TaskID
// does, so that no two distinct (adapter, name, parts) tuples share a key
// whatever characters the parts hold.
func ixKey(adapterID, name string, parts ...string) string {
	var b strings.Builder
	b.WriteString("cancelsync:ix:{")
	b.WriteString(adapterID)
	b.WriteString("}:")
	b.WriteString(name)
	for _, p := range parts {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return b.String()
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

// zfact is one member of one sorted set; cfact one counter of one day.
type zfact struct{ key, member string }
type cfact struct{ day, field string }

// docFacts is what a document contributes to the indexes: per request (so
// that a request compacted out of the document keeps what it contributed),
// and for the order.
type docFacts struct {
	reqZ   map[string]map[zfact]int64 // request id → set member → score
	reqC   map[string][]cfact
	orderZ map[zfact]int64
	orderC []cfact
	// cancelled are the buyer-initiated requests that cancelled the
	// order, with the buyer: what the repeat canceller sets count.
	cancelled map[string]string // request id → buyer id
}

func factsOf(adapterID, orderID string, d *orderDoc) docFacts {
	f := docFacts{reqZ: map[string]map[zfact]int64{}, reqC: map[string][]cfact{}, orderZ: map[zfact]int64{}, cancelled: map[string]string{}}
	if d == nil {
		return f
	}
	if o := d.Order; o != nil {
		f.orderC = append(f.orderC, cfact{dayOf(o.PlacedAt), cntOrders})
		if d.Conflict != "" {
			f.orderZ[zfact{ixKey(adapterID, ixConflicts), orderID}] = ms(o.UpdatedAt)
		}
	}
	for i := range d.Requests {
		r := &d.Requests[i]
		m, at := indexMember(orderID, r.ID), ms(r.OccurredAt)
		z := map[zfact]int64{
			{ixKey(adapterID, ixAll), m}:                            at,
			{ixKey(adapterID, ixState, string(r.State)), m}:         at,
			{ixKey(adapterID, ixReason, r.Reason), m}:               at,
			{ixKey(adapterID, ixInitiator, string(r.Initiator)), m}: at,
		}
		day := dayOf(r.OccurredAt)
		c := []cfact{{day, cntRequests}, {day, cntState + string(r.State)}, {day, cntReason + r.Reason}, {day, cntInitiator + string(r.Initiator)}}
		if r.State == adapters.PendingResponse && r.RespondBy != nil {
			z[zfact{ixKey(adapterID, ixPending), m}] = ms(*r.RespondBy)
		}
		if r.Denial != "" {
			c = append(c, cfact{day, cntDenial + string(r.Denial)})
		}
		if r.SellerHit {
			z[zfact{ixKey(adapterID, ixSellerHit), m}] = at
			c = append(c, cfact{day, cntSellerHit})
		}
		switch {
		case r.Sync == syncFailed:
			z[zfact{ixKey(adapterID, ixSyncFailed), m}] = at
		case r.unsent(d.Acked):
			z[zfact{ixKey(adapterID, ixSyncQueued), m}] = at
		}
		f.reqZ[r.ID], f.reqC[r.ID] = z, c
		if r.State == adapters.Cancelled && r.Initiator == adapters.Buyer && d.Order != nil && d.Order.BuyerID != "" {
			f.cancelled[r.ID] = d.Order.BuyerID
		}
	}
	return f
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
// retention bound what is kept: sets are trimmed below now-retention on
// every write to them, day counters expire retention after their day.
func indexOps(adapterID, orderID string, before docFacts, after *orderDoc, now time.Time, retention time.Duration) []indexOp {
	next := factsOf(adapterID, orderID, after)
	oldZ, newZ := map[zfact]int64{}, map[zfact]int64{}
	oldC, newC := map[cfact]int{}, map[cfact]int{}
	for k, v := range next.orderZ {
		newZ[k] = v
	}
	for k, v := range before.orderZ {
		oldZ[k] = v
	}
	for _, c := range next.orderC {
		newC[c]++
	}
	for _, c := range before.orderC {
		oldC[c]++
	}
	for id, z := range next.reqZ {
		for k, v := range z {
			newZ[k] = v
		}
		for _, c := range next.reqC[id] {
			newC[c]++
		}
		// A request compacted out of the document is not in next: what it
		// contributed stays, so only requests still present are compared.
		for k, v := range before.reqZ[id] {
			oldZ[k] = v
		}
		for _, c := range before.reqC[id] {
			oldC[c]++
		}
	}

	var ops []indexOp
	cutoff := ms(now.Add(-retention))
	trimmed := map[string]bool{}
	for k := range oldZ {
		if _, ok := newZ[k]; !ok {
			ops = append(ops, indexOp{op: "zr", key: k.key, a: k.member})
		}
	}
	for k, v := range newZ {
		if old, ok := oldZ[k]; ok && old == v {
			continue
		}
		ops = append(ops, indexOp{op: "za", key: k.key, a: itoa(v), b: k.member})
		if !trimmed[k.key] {
			trimmed[k.key] = true
			ops = append(ops, indexOp{op: "zt", key: k.key, a: itoa(cutoff)})
		}
	}
	days := map[string]bool{}
	for k, n := range newC {
		if d := n - oldC[k]; d != 0 {
			ops = append(ops, indexOp{op: "hi", key: ixKey(adapterID, ixDay, k.day), a: k.field, b: strconv.Itoa(d)})
			days[k.day] = true
		}
	}
	for k, n := range oldC {
		if _, ok := newC[k]; !ok && n != 0 {
			ops = append(ops, indexOp{op: "hi", key: ixKey(adapterID, ixDay, k.day), a: k.field, b: strconv.Itoa(-n)})
			days[k.day] = true
		}
	}
	for day := range days {
		t, _ := time.Parse(time.DateOnly, day)
		ops = append(ops, indexOp{op: "ex", key: ixKey(adapterID, ixDay, day), a: itoa(ms(t.Add(24*time.Hour + retention)))})
	}
	for id, buyer := range next.cancelled {
		if _, was := before.cancelled[id]; was {
			continue
		}
		r := after.request(id)
		at := ms(r.OccurredAt)
		bk := ixKey(adapterID, ixBuyer, buyer)
		ops = append(ops,
			indexOp{op: "za", key: bk, a: itoa(at), b: indexMember(orderID, id)},
			indexOp{op: "zt", key: bk, a: itoa(max(cutoff, ms(now.Add(-RepeatWindow))))},
			indexOp{op: "ex", key: bk, a: itoa(ms(now.Add(RepeatWindow)))},
			indexOp{op: "rp", key: bk, a: ixKey(adapterID, ixRepeat), b: itoa(at), c: buyer},
		)
	}
	return ops
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

// indexLua applies indexArgs' commands; the compare-and-set script runs it
// right after storing the document. argBase is the index of the count.
func indexLua(argBase int) string {
	return `
local nops = tonumber(ARGV[` + strconv.Itoa(argBase) + `] or "0") or 0
local ai = ` + strconv.Itoa(argBase+1) + `
for _ = 1, nops do
  local op, k, a, b, c = ARGV[ai], KEYS[tonumber(ARGV[ai+1])], ARGV[ai+2], ARGV[ai+3], ARGV[ai+4]
  ai = ai + 5
  if op == "za" then redis.call("ZADD", k, a, b)
  elseif op == "zr" then redis.call("ZREM", k, a)
  elseif op == "zt" then redis.call("ZREMRANGEBYSCORE", k, "-inf", "(" .. a)
  elseif op == "hi" then redis.call("HINCRBY", k, a, b)
  elseif op == "ex" then redis.call("PEXPIREAT", k, a)
  elseif op == "sx" then
    if a == "" then redis.call("SET", k, "1") else redis.call("SET", k, "1", "PX", a) end
  elseif op == "rp" then
    if redis.call("ZCARD", k) >= ` + strconv.Itoa(RepeatThreshold) + ` then
      local rk = KEYS[tonumber(a)]
      local cur = redis.call("ZSCORE", rk, c)
      if (not cur) or tonumber(cur) < tonumber(b) then redis.call("ZADD", rk, b, c) end
    end
  end
end
`
}

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
