package index

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// Console reads the console's indexes: lists and counters of one
// adapter. Every read is a bounded number of sorted-set ranges, hash reads
// and document reads; nothing scans the keyspace.
type Console struct {
	src Source
	rdb redis.UniversalClient
}

// NewConsole reads the indexes of src.
func NewConsole(src Source) *Console { return &Console{src: src, rdb: src.Redis()} }

// period is what the indexes hold now.
func (c *Console) period() Period { return Period{Now: c.src.Now(), Retention: c.src.Retention()} }

// ErrBadCursor is returned for a cursor that List did not hand out.
var ErrBadCursor = errors.New("bad cursor")

// CancellationRow is one request in a console list.
type CancellationRow struct {
	OrderID            string                 `json:"order_id"`
	RequestID          string                 `json:"request_id"`
	State              platform.State         `json:"state"`
	Initiator          platform.Party         `json:"initiator"`
	Reason             string                 `json:"reason"`
	DenialReason       *platform.DenialReason `json:"denial_reason"`
	OccurredAt         time.Time              `json:"occurred_at"`
	RespondBy          *time.Time             `json:"respond_by"`
	AffectsSellerStats bool                   `json:"affects_seller_stats"`
	Sync               string                 `json:"sync"`
	BuyerID            string                 `json:"buyer_id"`
	OrderStatus        platform.OrderStatus   `json:"order_status"`
}

// ListFilter selects requests for List. Empty fields do not filter; Since
// and Until bound occurred_at (Until exclusive), within what the indexes
// hold (see Period); Limit defaults to 50, at most 200.
type ListFilter struct {
	State, Reason, Initiator string
	Since, Until             time.Time
	Cursor                   string
	Limit                    int
}

// ListPage is one page of List, newest first. Next is the cursor of the
// following page, empty on the last one. Since and Until are the period
// the list covered: the filter's, clamped to what the indexes hold.
type ListPage struct {
	Items []CancellationRow `json:"items"`
	Next  string            `json:"next_cursor"`
	Since time.Time         `json:"since"`
	Until time.Time         `json:"until"`
}

// maxExamined bounds the members one List call looks at when filters
// combine; the page may then be short, with a cursor to go on.
const maxExamined = 5000

// List returns the adapter's requests matching f, newest first. It reads
// both schemes of the lists by state, reason and initiator (facts.go): the
// kind sets that match every filter, whose members all match, and, for
// requests whose documents were last written in order.FormatJSON, the
// first filter's set (the state sets without a filter), whose members are
// checked against the other filters' sets. Both are walked as one
// sequence, newest first, so a cursor goes on across them.
func (c *Console) List(ctx context.Context, adapterID string, f ListFilter) (ListPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	// The first filter picks the sets to walk (one per bucket); the
	// others are checked by membership in theirs.
	type filter struct{ name, part string }
	sets := []filter{}
	if f.State != "" {
		sets = append(sets, filter{ixState, f.State})
	}
	if f.Reason != "" {
		sets = append(sets, filter{ixReason, f.Reason})
	}
	if f.Initiator != "" {
		sets = append(sets, filter{ixInitiator, f.Initiator})
	}
	f.Since, f.Until = c.period().Range(f.Since, f.Until)
	maxScore, minScore := "("+itoa(ms(f.Until)), itoa(ms(f.Since))
	var curScore int64
	var curMember string
	if f.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		s, m, ok := strings.Cut(string(raw), "|")
		n, perr := strconv.ParseInt(s, 10, 64)
		if err != nil || !ok || perr != nil {
			return ListPage{}, ErrBadCursor
		}
		curScore, curMember = n, m
		if n < ms(f.Until) {
			maxScore = itoa(n)
		}
	}
	// The walk's keys: the FormatJSON scheme's first filter's set (the
	// state sets without a filter), whose members the other filters
	// check, and, found in the registries read in the walk's first round
	// trip, the kind sets that match every filter. Without a filter that
	// is every kind set and the state sets: every request is in exactly
	// one of them, so their union is every request (there is no set of
	// all requests to write on every change). On a cluster it merges
	// every bucket's.
	tags := c.src.Tags(adapterID)
	walk := &walker{rdb: c.rdb, max: maxScore, min: minScore,
		more: c.kindSets(ctx, tags, f.State, f.Reason, f.Initiator)}
	for _, tag := range tags {
		if len(sets) == 0 {
			for _, st := range platform.States {
				walk.keys = append(walk.keys, c.src.PartKey(tag, ixState, string(st)))
			}
		} else {
			walk.keys = append(walk.keys, c.src.PartKey(tag, sets[0].name, sets[0].part))
		}
	}
	legacy := len(walk.keys) // the keys before are FormatJSON's
	var others []func(tag string) string
	for _, ft := range sets[min(len(sets), 1):] {
		others = append(others, func(tag string) string { return c.src.PartKey(tag, ft.name, ft.part) })
	}
	var picked []redis.Z
	var lastSeen redis.Z
	// A request is in one scheme only (the store moves it in one
	// script); one seen twice all the same is listed once.
	seen := map[string]bool{}
	examined, exhausted := 0, false
	batch := f.Limit + 1
	for len(picked) < f.Limit && examined < maxExamined {
		zs, from, done, err := walk.next(ctx, batch)
		if err != nil {
			return ListPage{}, fmt.Errorf("list %s: %w", adapterID, err)
		}
		exhausted = done
		if f.Cursor != "" {
			kept, keptFrom := zs[:0], from[:0]
			for i, z := range zs {
				// Same score as the cursor: members come in reverse order,
				// and the previous page ended at curMember.
				if int64(z.Score) == curScore && z.Member.(string) >= curMember {
					continue
				}
				kept, keptFrom = append(kept, z), append(keptFrom, from[i])
			}
			zs, from = kept, keptFrom
		}
		match, err := c.inAll(ctx, adapterID, others, zs, func(i int) bool { return from[i] < legacy })
		if err != nil {
			return ListPage{}, fmt.Errorf("list %s: %w", adapterID, err)
		}
		for i, z := range zs {
			examined++
			lastSeen = z
			if m := z.Member.(string); match[i] && !seen[m] {
				seen[m] = true
				picked = append(picked, z)
			}
			if len(picked) == f.Limit || examined >= maxExamined {
				exhausted = exhausted && i == len(zs)-1
				break
			}
		}
		if exhausted {
			break
		}
		batch = min(batch*2, 1000)
	}
	next := ""
	switch {
	case len(picked) == f.Limit:
		next = cursorOf(picked[len(picked)-1])
	case !exhausted && examined > 0:
		next = cursorOf(lastSeen) // stopped at maxExamined: go on from there
	}
	rows, err := c.rows(ctx, adapterID, picked)
	if err != nil {
		return ListPage{}, err
	}
	return ListPage{Items: rows, Next: next, Since: f.Since, Until: f.Until}, nil
}

// kindSets asks, in a pipeline, for the registries of kinds (ixKinds) of
// tags, one SMEMBERS each; what it returns gives, once the pipeline has
// run, the kind sets of those tags whose kinds have the given state,
// reason and initiator (an empty one: any).
func (c *Console) kindSets(ctx context.Context, tags []string, state, reason, initiator string) func(p redis.Pipeliner) func() []string {
	return func(p redis.Pipeliner) func() []string {
		cmds := make([]*redis.StringSliceCmd, len(tags))
		for i, tag := range tags {
			cmds[i] = p.SMembers(ctx, c.src.Key(tag, ixKinds))
		}
		return func() []string {
			var keys []string
			for i, cmd := range cmds {
				kinds := cmd.Val()
				slices.Sort(kinds) // the same walk every time
				for _, k := range kinds {
					if kindMatches(k, state, reason, initiator) {
						keys = append(keys, c.src.PartKey(tags[i], ixKind, k))
					}
				}
			}
			return keys
		}
	}
}

// kindMatches reports whether kind k has the given state, reason and
// initiator (an empty one: any).
func kindMatches(k, state, reason, initiator string) bool {
	st, who, why, ok := splitKind(k)
	return ok && (state == "" || st == state) && (reason == "" || why == reason) && (initiator == "" || who == initiator)
}

// walker goes through the members of one or more sorted sets within
// [min, max], newest first (score, then member, descending: the order of
// ZREVRANGEBYSCORE), as one ordered sequence.
type walker struct {
	rdb      redis.UniversalClient
	keys     []string
	max, min string
	// more, when set, adds to the first round trip what gives more keys
	// to walk once it has run (List: the registries of kinds).
	more  func(p redis.Pipeliner) func() []string
	bufs  [][]redis.Z // per key: fetched and not yet handed out
	offs  []int64     // per key: members fetched so far
	done  []bool      // per key: nothing left to fetch
	since int         // the round of this call from which fill's rounds count
}

// next returns up to n more members in order, the index in keys of the
// key each came from, and whether that is the end.
//
// A member is handed out only while every key that may hold more has
// members buffered: a key's unfetched members come after its buffered
// ones, so the newest buffered member is then the newest of the union.
// When filling every key's buffer to n (or to its end) costs at most
// fillBudget members, that is done at once, in one round trip. Past it (a
// list without a filter reads every kind set, facts.go) each key first
// gets a few, and only the keys that run dry are filled again, to what
// is still wanted; the third round trip fills every key as at once, so a
// call takes at most three (four for the first, when keys that more gives
// join after the first round trip).
func (w *walker) next(ctx context.Context, n int) ([]redis.Z, []int, bool, error) {
	if w.bufs == nil {
		w.bufs, w.offs, w.done = make([][]redis.Z, len(w.keys)), make([]int64, len(w.keys)), make([]bool, len(w.keys))
	}
	w.since = 0
	out, from := make([]redis.Z, 0, n), make([]int, 0, n)
	for round := 0; len(out) < n; round++ {
		if err := w.fill(ctx, n-len(out), round); err != nil {
			return nil, nil, false, err
		}
		if !w.merge(&out, &from, n) {
			break
		}
	}
	end := true
	for i := range w.keys {
		end = end && w.done[i] && len(w.bufs[i]) == 0
	}
	return out, from, end, nil
}

// fillBudget is how many members one walker call may fetch to fill every
// key's buffer at once; lazyRounds how many round trips fill only what
// runs dry before one fills every key.
const (
	fillBudget = 2048
	lazyRounds = 2
)

// fill fetches, in one round trip, what the keys need for need more
// members in round round of a call (see next).
func (w *walker) fill(ctx context.Context, need, round int) error {
	r := round - w.since
	eager := r >= lazyRounds || len(w.keys)*need <= fillBudget
	first := max(4, (2*need+len(w.keys)-1)/max(len(w.keys), 1))
	type fetch struct {
		i    int
		want int64
		cmd  *redis.ZSliceCmd
	}
	var fs []fetch
	var more func() []string
	_, err := w.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if w.more != nil {
			more, w.more = w.more(p), nil
		}
		for i, k := range w.keys {
			if w.done[i] {
				continue
			}
			var want int
			switch {
			case eager:
				want = need - len(w.bufs[i])
			case len(w.bufs[i]) > 0:
				continue // not dry
			case r == 0:
				want = min(need, first)
			default:
				want = need
			}
			if want <= 0 {
				continue
			}
			fs = append(fs, fetch{i, int64(want), p.ZRevRangeByScoreWithScores(ctx, k, &redis.ZRangeBy{Max: w.max, Min: w.min, Offset: w.offs[i], Count: int64(want)})})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range fs {
		zs := f.cmd.Val()
		w.bufs[f.i] = append(w.bufs[f.i], zs...)
		w.offs[f.i] += int64(len(zs))
		w.done[f.i] = int64(len(zs)) < f.want
	}
	if more != nil {
		if ks := more(); len(ks) > 0 {
			// Not fetched yet: dry, so the next round fetches them, as
			// its first.
			w.keys = append(w.keys, ks...)
			w.bufs = append(w.bufs, make([][]redis.Z, len(ks))...)
			w.offs = append(w.offs, make([]int64, len(ks))...)
			w.done = append(w.done, make([]bool, len(ks))...)
			w.since = round + 1
		}
	}
	return nil
}

// merge hands out members, newest first, until out holds n, or a key that
// may hold more has none buffered (true: fill again), or every key is
// through (false).
func (w *walker) merge(out *[]redis.Z, from *[]int, n int) bool {
	for len(*out) < n {
		best := -1
		for i, b := range w.bufs {
			if len(b) == 0 {
				if !w.done[i] {
					return true
				}
				continue
			}
			if best < 0 || newer(b[0], w.bufs[best][0]) {
				best = i
			}
		}
		if best < 0 {
			return false
		}
		*out, *from = append(*out, w.bufs[best][0]), append(*from, best)
		w.bufs[best] = w.bufs[best][1:]
	}
	return true
}

// oldestFirst compares a and b: by score, then member (the order
// of ZRANGE).
func oldestFirst(a, b redis.Z) int {
	switch {
	case newer(b, a):
		return -1
	case newer(a, b):
		return 1
	}
	return 0
}

// newer reports whether a comes before b newest first: a higher score, or
// the same score and a larger member.
func newer(a, b redis.Z) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Member.(string) > b.Member.(string)
}

// inAll reports for each of zs whether it is a member of every set sets
// name in the member's bucket, in one round trip; those check does not
// pick match without a look.
func (c *Console) inAll(ctx context.Context, adapterID string, sets []func(tag string) string, zs []redis.Z, check func(i int) bool) ([]bool, error) {
	match := make([]bool, len(zs))
	for i := range match {
		match[i] = true
	}
	if len(sets) == 0 || len(zs) == 0 {
		return match, nil
	}
	// Members by the tag of their order's bucket, with their places in zs.
	var tags []string
	members, at := map[string][]string{}, map[string][]int{}
	for i, z := range zs {
		if !check(i) {
			continue
		}
		m := z.Member.(string)
		orderID, _, _ := SplitMember(m)
		tag := c.src.Tag(adapterID, orderID)
		if _, ok := members[tag]; !ok {
			tags = append(tags, tag)
		}
		members[tag], at[tag] = append(members[tag], m), append(at[tag], i)
	}
	if len(tags) == 0 {
		return match, nil
	}
	type lookup struct {
		tag string
		cmd *redis.FloatSliceCmd
	}
	var checks []lookup
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, set := range sets {
			for _, tag := range tags {
				checks = append(checks, lookup{tag, p.ZMScore(ctx, set(tag), members[tag]...)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, ch := range checks {
		for j, s := range ch.cmd.Val() {
			if s == 0 { // absent; scores are times after 2000, never 0
				match[at[ch.tag][j]] = false
			}
		}
	}
	return match, nil
}

func cursorOf(z redis.Z) string {
	return base64.RawURLEncoding.EncodeToString([]byte(itoa(int64(z.Score)) + "|" + z.Member.(string)))
}

// rows reads the documents behind index members, in one round trip.
func (c *Console) rows(ctx context.Context, adapterID string, zs []redis.Z) ([]CancellationRow, error) {
	out := make([]CancellationRow, 0, len(zs))
	if len(zs) == 0 {
		return out, nil
	}
	type ref struct{ order, request string }
	refs := make([]ref, len(zs))
	orders := make([]string, len(zs))
	for i, z := range zs {
		o, r, _ := SplitMember(z.Member.(string))
		refs[i], orders[i] = ref{o, r}, o
	}
	docs, err := c.src.Docs(ctx, adapterID, orders)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", adapterID, err)
	}
	for i, doc := range docs {
		row := CancellationRow{OrderID: refs[i].order, RequestID: refs[i].request, OccurredAt: time.UnixMilli(int64(zs[i].Score)).UTC()}
		if doc != nil {
			fillRow(&row, doc)
		}
		out = append(out, row)
	}
	return out, nil
}

func fillRow(row *CancellationRow, doc *order.Doc) {
	if o := doc.Order; o != nil {
		row.BuyerID, row.OrderStatus = o.BuyerID, o.Status
	}
	r := doc.Request(row.RequestID)
	if r == nil {
		return // compacted out of a busy order's document
	}
	row.State, row.Initiator, row.Reason, row.OccurredAt = r.State, r.Initiator, r.Reason, r.OccurredAt
	row.RespondBy, row.AffectsSellerStats = r.RespondBy, r.SellerHit
	if r.Denial != "" {
		d := r.Denial
		row.DenialReason = &d
	}
	if r.State != platform.AwaitingOrder {
		row.Sync = r.SyncState()
	}
}

// Pending lists the adapter's pending_response requests, respond_by
// soonest first.
func (c *Console) Pending(ctx context.Context, adapterID string, limit int) ([]CancellationRow, error) {
	zs, err := c.merged(ctx, c.each(adapterID, ixPending), nil, false,
		func(p redis.Pipeliner, key string) *redis.ZSliceCmd {
			return p.ZRangeWithScores(ctx, key, 0, int64(limit)-1)
		}, limit)
	if err != nil {
		return nil, fmt.Errorf("pending %s: %w", adapterID, err)
	}
	return c.rows(ctx, adapterID, zs)
}

// each is the index name in every bucket of the adapter.
func (c *Console) each(adapterID, name string) []string {
	tags := c.src.Tags(adapterID)
	keys := make([]string, len(tags))
	for i, tag := range tags {
		keys[i] = c.src.Key(tag, name)
	}
	return keys
}

// merged reads sorted sets (read, at most limit members each, in the
// set's order) and merges them: newest first when desc, else oldest first.
// more, when set, adds to that round trip what gives more sets to read,
// in another. A member in two of them with one score is taken once.
func (c *Console) merged(ctx context.Context, keys []string, more func(p redis.Pipeliner) func() []string, desc bool,
	read func(p redis.Pipeliner, key string) *redis.ZSliceCmd, limit int) ([]redis.Z, error) {
	var cmds []*redis.ZSliceCmd
	for len(keys) > 0 {
		var then func() []string
		if _, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if more != nil {
				then, more = more(p), nil
			}
			for _, k := range keys {
				cmds = append(cmds, read(p, k))
			}
			return nil
		}); err != nil {
			return nil, err
		}
		keys = nil
		if then != nil {
			keys = then()
		}
	}
	if len(cmds) == 1 {
		return cmds[0].Val(), nil
	}
	var zs []redis.Z
	for _, cmd := range cmds {
		zs = append(zs, cmd.Val()...)
	}
	if desc {
		slices.SortFunc(zs, func(a, b redis.Z) int { return oldestFirst(b, a) })
	} else {
		slices.SortFunc(zs, oldestFirst)
	}
	zs = slices.CompactFunc(zs, func(a, b redis.Z) bool { return a.Score == b.Score && a.Member == b.Member })
	return zs[:min(len(zs), limit)], nil
}

// Latest lists the newest requests of one of the named lists: "escalated"
// (by state: the kind sets of state escalated and the state set, facts.go),
// "sellerhit" (affect the seller's stats), "syncfailed" and "syncqueued"
// (sync health), within [since, until).
func (c *Console) Latest(ctx context.Context, adapterID, list string, since, until time.Time, limit int) ([]CancellationRow, error) {
	var keys []string
	var more func(p redis.Pipeliner) func() []string
	switch list {
	case "escalated":
		// The state set, and the kind sets of state escalated, found in
		// the registries read with it.
		tags := c.src.Tags(adapterID)
		for _, tag := range tags {
			keys = append(keys, c.src.PartKey(tag, ixState, string(platform.Escalated)))
		}
		more = c.kindSets(ctx, tags, string(platform.Escalated), "", "")
	case ixSellerHit, ixSyncFailed, SyncQueued:
		keys = c.each(adapterID, list)
	default:
		return nil, fmt.Errorf("no list %q", list)
	}
	zs, err := c.newest(ctx, keys, more, since, until, limit)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", list, adapterID, err)
	}
	return c.rows(ctx, adapterID, zs)
}

// newest is the newest members of the sets at keys (and those more gives,
// see merged) within [since, until), merged.
func (c *Console) newest(ctx context.Context, keys []string, more func(p redis.Pipeliner) func() []string, since, until time.Time, limit int) ([]redis.Z, error) {
	by := c.scoreRange(since, until, int64(limit))
	return c.merged(ctx, keys, more, true, func(p redis.Pipeliner, key string) *redis.ZSliceCmd {
		return p.ZRevRangeByScoreWithScores(ctx, key, by)
	}, limit)
}

// scoreRange is [since, until) clamped to what the indexes hold (a zero
// bound: all they hold), as a range of scores.
func (c *Console) scoreRange(since, until time.Time, limit int64) *redis.ZRangeBy {
	since, until = c.period().Range(since, until)
	return &redis.ZRangeBy{Min: itoa(ms(since)), Max: "(" + itoa(ms(until)), Count: limit}
}

// Conflict is an order flagged with a conflict (shipped after cancel).
type Conflict struct {
	OrderID   string    `json:"order_id"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Conflicts lists the adapter's orders with a conflict whose latest
// snapshot falls in [since, until), newest first.
func (c *Console) Conflicts(ctx context.Context, adapterID string, since, until time.Time, limit int) ([]Conflict, error) {
	zs, err := c.newest(ctx, c.each(adapterID, ixConflicts), nil, since, until, limit)
	if err != nil {
		return nil, fmt.Errorf("conflicts %s: %w", adapterID, err)
	}
	out := make([]Conflict, 0, len(zs))
	for _, z := range zs {
		out = append(out, Conflict{OrderID: z.Member.(string), UpdatedAt: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return out, nil
}

// RepeatCanceller is a buyer with RepeatThreshold or more cancelled
// requests of their own within RepeatWindow.
type RepeatCanceller struct {
	BuyerID       string    `json:"buyer_id"`
	Cancellations int64     `json:"cancellations"`
	Latest        time.Time `json:"latest"`
}

// RepeatCancellers lists the adapter's repeat cancellers as of now, most
// recent first.
func (c *Console) RepeatCancellers(ctx context.Context, adapterID string, limit int) ([]RepeatCanceller, error) {
	now := c.src.Now()
	from := itoa(ms(now.Add(-RepeatWindow)))
	rdb := c.rdb
	by := &redis.ZRangeBy{Min: from, Max: "+inf", Count: int64(limit) * 2}
	zs, err := c.merged(ctx, c.each(adapterID, ixRepeat), nil, true,
		func(p redis.Pipeliner, key string) *redis.ZSliceCmd {
			return p.ZRevRangeByScoreWithScores(ctx, key, by)
		}, limit*2)
	if err != nil {
		return nil, fmt.Errorf("repeat cancellers %s: %w", adapterID, err)
	}
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, z := range zs {
			buyer := z.Member.(string)
			p.ZCount(ctx, c.src.PartKey(c.src.Tag(adapterID, buyer), ixBuyer, buyer), from, "+inf")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("repeat cancellers %s: %w", adapterID, err)
	}
	out := []RepeatCanceller{}
	for i, cmd := range cmds {
		if n := cmd.(*redis.IntCmd).Val(); n >= RepeatThreshold && len(out) < limit {
			out = append(out, RepeatCanceller{BuyerID: zs[i].Member.(string), Cancellations: n, Latest: time.UnixMilli(int64(zs[i].Score)).UTC()})
		}
	}
	return out, nil
}

// Stats are an adapter's counters over whole UTC days.
type Stats struct {
	Adapter string `json:"adapter"`
	// Since and Until are the first and last day counted (inclusive).
	Since            string           `json:"since"`
	Until            string           `json:"until"`
	OrdersSeen       int64            `json:"orders_seen"`
	Requests         int64            `json:"requests"`
	ByState          map[string]int64 `json:"requests_by_state"`
	ByReason         map[string]int64 `json:"requests_by_reason"`
	ByInitiator      map[string]int64 `json:"requests_by_initiator"`
	Denials          map[string]int64 `json:"denials_by_reason"`
	CancellationRate float64          `json:"cancellation_rate"`
	SellerStatHits   int64            `json:"affects_seller_stats"`
	Conflicts        int64            `json:"conflicts"`
	// Now, whatever the period: requests waiting for an answer, and the
	// sync health of current states.
	PendingNow int64 `json:"pending_now"`
	Sync       struct {
		Pending int64 `json:"pending"`
		Failed  int64 `json:"failed"`
	} `json:"sync"`
}

// Stats sums the adapter's day counters from since's day to until's day
// (UTC, inclusive; clamped to the days the indexes hold, see Period) and
// adds the current pending and sync figures. Orders count on the day they
// were placed, requests on the day they occurred.
func (c *Console) Stats(ctx context.Context, adapterID string, since, until time.Time) (*Stats, error) {
	first, last := c.period().Days(since, until)
	st := &Stats{Adapter: adapterID, Since: dayOf(first), Until: dayOf(last),
		ByState: map[string]int64{}, ByReason: map[string]int64{}, ByInitiator: map[string]int64{}, Denials: map[string]int64{}}
	rdb := c.rdb
	var days []*redis.MapStringStringCmd
	var pending, syncQ, syncF, conflicts []*redis.IntCmd
	// Every bucket's counters and sets, summed (Layout).
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, tag := range c.src.Tags(adapterID) {
			for d := first; !d.After(last); d = d.Add(24 * time.Hour) {
				days = append(days, p.HGetAll(ctx, c.src.PartKey(tag, ixDay, dayOf(d))))
			}
			pending = append(pending, p.ZCard(ctx, c.src.Key(tag, ixPending)))
			syncQ = append(syncQ, p.ZCard(ctx, c.src.Key(tag, SyncQueued)))
			syncF = append(syncF, p.ZCard(ctx, c.src.Key(tag, ixSyncFailed)))
			conflicts = append(conflicts, p.ZCount(ctx, c.src.Key(tag, ixConflicts), itoa(ms(first)), "("+itoa(ms(last.Add(24*time.Hour)))))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats %s: %w", adapterID, err)
	}
	for _, d := range days {
		for field, v := range d.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			switch {
			case field == cntOrders:
				st.OrdersSeen += n
			case field == cntSellerHit:
				st.SellerStatHits += n
			case strings.HasPrefix(field, cntRequest):
				if state, who, reason, ok := splitKind(field[len(cntRequest):]); ok {
					st.ByState[state] += n
					st.ByInitiator[who] += n
					st.ByReason[reason] += n
				}
			case strings.HasPrefix(field, cntState):
				st.ByState[field[len(cntState):]] += n
			case strings.HasPrefix(field, cntReason):
				st.ByReason[field[len(cntReason):]] += n
			case strings.HasPrefix(field, cntInitiator):
				st.ByInitiator[field[len(cntInitiator):]] += n
			case strings.HasPrefix(field, cntDenial):
				st.Denials[field[len(cntDenial):]] += n
			}
		}
	}
	// A counter that adds up to nothing (every request counted there moved
	// on) is not listed.
	for _, m := range []map[string]int64{st.ByState, st.ByReason, st.ByInitiator, st.Denials} {
		maps.DeleteFunc(m, func(_ string, n int64) bool { return n == 0 })
	}
	// Every request is counted once, under its current state (a legacy
	// legacy "n" field falls through the switch unread).
	for _, n := range st.ByState {
		st.Requests += n
	}
	if st.OrdersSeen > 0 {
		st.CancellationRate = float64(st.ByState[string(platform.Cancelled)]) / float64(st.OrdersSeen)
	}
	st.PendingNow, st.Sync.Pending, st.Sync.Failed, st.Conflicts = sum(pending), sum(syncQ), sum(syncF), sum(conflicts)
	return st, nil
}

func sum(cmds []*redis.IntCmd) int64 {
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n
}
