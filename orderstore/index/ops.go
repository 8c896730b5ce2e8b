package index

import (
	"crypto/sha256"
	"strconv"
	"time"

	"github.com/cancelsync/cancelsync/order"
)

// Op is one command of the index script (see Lua): Op, a Key, and up
// to three arguments.
type Op struct {
	Op      string
	Key     string
	A, B, C string
}

// Ops turns the difference between the facts of a document before a
// change and the document after it into the script's commands. now and
// retention bound what is kept: an entry already past now-retention is not
// added; a set written to is trimmed below now-retention when trim says so
// for its key (nil: on every write; orderstore's trimDue: on the first
// write of a minute), day counters expire retention after their day. next
// is FactsOf(after); the dead letter's record is orderstore's to keep
// (next.Dead).
//
// A request added to an ixKind set has its kind registered in the same
// script ("rg", SADD to the tag's ixKinds), unless known says the kind is
// registered there already (nil: never known). orderstore's known is what
// its process registered: in the steady state no
// change registers anything, and a kind's set never exists unregistered,
// for the registry is never trimmed.
func Ops(l Layout, adapterID, orderID string, before, next Facts, after *order.Doc, now time.Time, retention time.Duration, trim func(key string) bool, known func(registry, kind string) bool) []Op {
	tag := l.Tag(adapterID, orderID)
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

	ops := make([]Op, 0, 16)
	cutoff := ms(now.Add(-retention))
	registry := "" // the tag's ixKinds, once needed
	for _, z := range oldZ {
		if _, ok := findZ(next.z, z.key, z.member); !ok && !zDone(ops, "zr", z.key, z.member) {
			ops = append(ops, Op{Op: "zr", Key: z.key, A: z.member})
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
				ops = append(ops, Op{Op: "zr", Key: z.key, A: z.member})
			}
			continue
		}
		if zAdded(ops, z.key, z.member) {
			continue
		}
		if z.kind != "" {
			if registry == "" {
				registry = l.Key(tag, ixKinds)
			}
			if !zDone(ops, "rg", registry, z.kind) && (known == nil || !known(registry, z.kind)) {
				ops = append(ops, Op{Op: "rg", Key: registry, A: z.kind})
			}
		}
		trimmed := zTrimmed(ops, z.key)
		ops = append(ops, Op{Op: "za", Key: z.key, A: itoa(z.score), B: z.member})
		if !trimmed && (trim == nil || trim(z.key)) {
			ops = append(ops, Op{Op: "zt", Key: z.key, A: itoa(cutoff)})
		}
	}
	if len(ops) > 0 && !l.Cluster() { // no earlier release wrote to a cluster
		if k := l.Key(tag, ixLegacyAll); trim == nil || trim(k) {
			ops = append(ops, Op{Op: "ul", Key: k})
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
			ops = append(ops, Op{Op: "hi", Key: l.PartKey(tag, ixDay, c.day), A: c.field, B: strconv.Itoa(d)})
			touch(c.day)
		}
	}
	for i, c := range oldC {
		old, seen := count(oldC, c.day, c.field, i)
		if seen {
			continue
		}
		if n, _ := count(next.c, c.day, c.field, 0); n == 0 && old != 0 {
			ops = append(ops, Op{Op: "hi", Key: l.PartKey(tag, ixDay, c.day), A: c.field, B: strconv.Itoa(-old)})
			touch(c.day)
		}
	}
	for _, day := range days {
		t, _ := time.Parse(time.DateOnly, day)
		// "hx": only when this script created the hash. Its expiry is a
		// fixed time, so once set it needs no refresh (one
		// command less per counted change).
		ops = append(ops, Op{Op: "hx", Key: l.PartKey(tag, ixDay, day), A: itoa(ms(t.Add(24*time.Hour + retention)))})
	}
	for _, cf := range next.cancelled {
		if wasCancelled(before.cancelled, cf.req) {
			continue
		}
		r := after.Request(cf.req)
		at := ms(r.OccurredAt)
		// The buyer's set is in the bucket of the buyer, with the
		// repeat cancellers it adds to (Layout).
		btag := l.Tag(adapterID, cf.buyer)
		bk := l.PartKey(btag, ixBuyer, cf.buyer)
		// "zc" counts the set's entries in the window for "rp", which
		// follows it, and trims what is older when the set is a repeat
		// canceller's and trim says so for its key (at most once a minute
		// per process: the count needs no trim, only the set's size does).
		zc := Op{Op: "zc", Key: bk, A: itoa(max(cutoff, ms(now.Add(-RepeatWindow))))}
		if trim == nil || trim(bk) {
			zc.B = "1"
		}
		ops = append(ops,
			Op{Op: "za", Key: bk, A: itoa(at), B: buyerMember(orderID, cf.req)},
			zc,
			Op{Op: "ex", Key: bk, A: itoa(ms(now.Add(RepeatWindow)))},
			Op{Op: "rp", Key: bk, A: l.Key(btag, ixRepeat), B: itoa(at), C: cf.buyer},
		)
	}
	return ops
}

// buyerMember is a cancelled request's member in its buyer's set: only
// counted (RepeatCancellers), never listed or split back, so 8 bytes of
// the SHA-256 of its member (a collision within one buyer's 30 days would
// undercount by one) instead of the order and request ids: about 40 B less
// per cancellation. Members written before are counted alike.
func buyerMember(orderID, requestID string) string {
	sum := sha256.Sum256([]byte(member(orderID, requestID)))
	return string(sum[:8])
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
func zDone(ops []Op, op, key, member string) bool {
	for _, o := range ops {
		if o.Op == op && o.Key == key && o.A == member {
			return true
		}
	}
	return false
}

// zAdded reports whether ops already adds member to key.
func zAdded(ops []Op, key, member string) bool {
	for _, o := range ops {
		if o.Op == "za" && o.Key == key && o.B == member {
			return true
		}
	}
	return false
}

// zTrimmed reports whether ops already trims key.
func zTrimmed(ops []Op, key string) bool {
	for _, o := range ops {
		if o.Op == "zt" && o.Key == key {
			return true
		}
	}
	return false
}

// Registrations calls fn with each kind ops register ("rg"): what a
// process notes as known once the script that ran them succeeded.
func Registrations(ops []Op, fn func(registry, kind string)) {
	for _, o := range ops {
		if o.Op == "rg" {
			fn(o.Key, o.A)
		}
	}
}

// Args appends ops to a script's keys and arguments in Lua's
// layout: a count, then five arguments per op (op, key index, a, b, c);
// keys go after the first nkeys.
func Args(keys []string, args []any, ops []Op) ([]string, []any) {
	// Key indexes are small ints (boxing one below 256 allocates nothing)
	// and op names boxed once: a change's arguments cost only the strings
	// that differ per order. A linear search: a change has a few keys.
	first := len(keys) // the caller's own keys are never shared with ops
	keyIdx := func(k string) any {
		for i := first; i < len(keys); i++ {
			if keys[i] == k {
				return i + 1
			}
		}
		keys = append(keys, k)
		return len(keys)
	}
	args = append(args, len(ops))
	for _, o := range ops {
		var a any = o.A
		if o.Op == "rp" {
			a = keyIdx(o.A)
		}
		args = append(args, opArg(o.Op), keyIdx(o.Key), a, o.B, o.C)
	}
	return keys, args
}

// opArgs are the script's op names, boxed once.
var opArgs = func() map[string]any {
	m := map[string]any{}
	for _, op := range []string{"za", "zr", "ul", "zt", "zc", "hi", "ex", "hx", "sv", "sa", "sx", "rp", "rg"} {
		m[op] = op
	}
	return m
}()

func opArg(op string) any {
	if a, ok := opArgs[op]; ok {
		return a
	}
	return op
}

// Lua applies Args' commands; the compare-and-set script runs it
// right after storing the document. argBase is the index of the count.
func Lua(argBase int) string {
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
    -- a buyer's set: its entries in the window counted for "rp"; trimmed
    -- (when b says it is due) only when the count makes a repeat
    -- canceller: a set below that expires a window after its latest
    -- entry anyway
    local n = redis.call("ZCOUNT", k, a, "+inf")
    if b == "1" and n >= ` + strconv.Itoa(RepeatThreshold) + ` then
      redis.call("ZREMRANGEBYSCORE", k, "-inf", "(" .. a)
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
  elseif op == "sa" or op == "rg" then redis.call("SADD", k, a)
  elseif op == "sx" then
    if a == "" then redis.call("SET", k, "1") else redis.call("SET", k, "1", "PX", a) end
  elseif op == "rp" then
    if cards[k] >= ` + strconv.Itoa(RepeatThreshold) + ` then
      -- GT: a newer latest cancellation moves the buyer, an older one
      -- does not (Redis 6.2+)
      redis.call("ZADD", KEYS[tonumber(a)], "GT", b, c)
    end
  end
end
`
}
