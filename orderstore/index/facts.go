package index

import (
	"strconv"
	"strings"
	"time"

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
// A request is in the lists by state, reason and initiator in one of two
// schemes, by its document's format (order.Doc.Format; docs/OPERATIONS.md,
// "Where the numbers come from"): a document in order.FormatJSON, which
// every earlier release writes, has each of its requests in three sets
// (ixState, ixReason, ixInitiator); one in order.FormatCompact has each in
// one set of its kind, the combination of the three (ixKind), listed in
// its tag's registry of kinds (ixKinds) so that reads find the kinds
// without a scan. A change that writes a document in another format than
// it was read in moves its requests from one scheme to the other in the
// same script, so a request is in one scheme only. Reads take both until
// the retention has passed since the last document was written in the
// old one.
//
// Where the keys are is orderstore's keys.go's (Layout): on one Redis every
// key of an adapter's indexes carries the adapter's tag; on a cluster an
// order writes its bucket's share, in its own hash slot, and reads merge
// the buckets.

// RepeatWindow and RepeatThreshold define a repeat canceller: a buyer with
// RepeatThreshold or more cancelled requests of their own within
// RepeatWindow.
const (
	RepeatWindow    = 30 * 24 * time.Hour
	RepeatThreshold = 3
)

// Index names: sorted sets of request members (see member) scored by
// the request's occurred_at in Unix milliseconds, unless noted.
const (
	// ixLegacyAll held every request in earlier releases; List merges the state
	// sets instead. Nothing writes it now; a store unlinks it once a
	// minute it writes an adapter's indexes (Ops), so a set left by
	// an earlier version, or by one still running in a rolling upgrade,
	// goes away.
	ixLegacyAll = "all"
	ixState     = "state"     // by current state (key part: the state), FormatJSON
	ixReason    = "reason"    // by reason (key part: the reason), FormatJSON
	ixInitiator = "initiator" // by initiator (key part: the party), FormatJSON
	ixKind      = "kind"      // by kind (key part: kindOf), FormatCompact
	// ixKinds is a set, per tag, of the kinds that have an ixKind set in
	// it: SADDed by the script that first adds to such a set (as far as
	// the writing process knows; see Ops), never trimmed. It holds at most
	// one member per combination of platform.States, parties and
	// platform.Reasons: a few hundred.
	ixKinds      = "kinds"
	ixPending    = "pending"    // pending_response, scored by respond_by
	ixSellerHit  = "sellerhit"  // affects_seller_stats (fiverr)
	SyncQueued   = "syncqueued" // current state not yet acknowledged by the platform
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

// kindOf is the kind of a request in state, by who, for reason: the
// ixKind set it is in (FormatCompact) and, behind cntRequest, the day
// counter it counts in. The reason goes last: states and parties never
// hold '|', a reason might.
func kindOf(state platform.State, who platform.Party, reason string) string {
	return string(state) + "|" + string(who) + "|" + reason
}

// requestCounter is the cntRequest field of a request in state, by who,
// for reason.
func requestCounter(state platform.State, who platform.Party, reason string) string {
	return cntRequest + kindOf(state, who, reason)
}

// splitKind is kindOf's inverse (of a cntRequest field without its
// prefix too).
func splitKind(k string) (state, who, reason string, ok bool) {
	state, rest, ok1 := strings.Cut(k, "|")
	who, reason, ok2 := strings.Cut(rest, "|")
	return state, who, reason, ok1 && ok2
}

// member is a request's member in the indexes: the order id
// length-prefixed, then the request id, so that it splits back exactly.
func member(orderID, requestID string) string {
	return strconv.Itoa(len(orderID)) + ":" + orderID + requestID
}

// SplitMember is member's inverse.
func SplitMember(m string) (orderID, requestID string, ok bool) {
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
// order's own); kind is set for a member of an ixKind set, whose kind
// must be registered (ixKinds).
type zfact struct {
	req, key, member, kind string
	score                  int64
}
type cfact struct{ req, day, field string }

// Facts is what a document contributes to the indexes: per request (so
// that a request compacted out of the document keeps what it contributed),
// and for the order. Plain slices, searched linearly: a document has a few
// dozen facts at most, and maps cost more than the search (BenchmarkIndexOps).
type Facts struct {
	z    []zfact
	c    []cfact
	reqs []string // the requests present
	// cancelled are the buyer-initiated requests that cancelled the
	// order, with the buyer: what the repeat canceller sets count.
	cancelled []cancelFact
	// Dead are the versions whose sync failed for good: what orderstore's
	// dead letter record holds.
	Dead []DeadFact
}

type cancelFact struct{ req, buyer string }

// has reports whether request id is in the document the facts are of.
func (f *Facts) has(id string) bool {
	for _, r := range f.reqs {
		if r == id {
			return true
		}
	}
	return false
}

// FactsOf collects the index facts of d, keyed in layout l. Its requests
// are in the sets of d.Format's scheme: ixKind for order.FormatCompact,
// else (order.FormatJSON, or 0 for a document not stored yet, which holds
// no request; orderstore takes it in the format it writes) ixState,
// ixReason and ixInitiator.
func FactsOf(l Layout, adapterID, orderID string, d *order.Doc) Facts {
	var f Facts
	if d == nil {
		return f
	}
	tag := l.Tag(adapterID, orderID)
	if o := d.Order; o != nil {
		f.c = append(f.c, cfact{"", dayOf(o.PlacedAt), cntOrders})
		if d.Conflict != "" {
			f.z = append(f.z, zfact{req: "", key: l.Key(tag, ixConflicts), member: orderID, score: ms(o.UpdatedAt)})
		}
	}
	compact := d.Format == order.FormatCompact
	if len(d.Requests) == 0 {
		return f
	}
	f.reqs = make([]string, 0, len(d.Requests))
	f.z = slicesGrow(f.z, 5*len(d.Requests))
	f.c = slicesGrow(f.c, 3*len(d.Requests))
	for i := range d.Requests {
		r := &d.Requests[i]
		f.reqs = append(f.reqs, r.ID)
		m, at := member(orderID, r.ID), ms(r.OccurredAt)
		day := dayOf(r.OccurredAt)
		if compact {
			k := kindOf(r.State, r.Initiator, r.Reason)
			f.z = append(f.z, zfact{req: r.ID, key: l.PartKey(tag, ixKind, k), member: m, kind: k, score: at})
			f.c = append(f.c, cfact{r.ID, day, cntRequest + k})
		} else {
			f.z = append(f.z,
				zfact{req: r.ID, key: l.PartKey(tag, ixState, string(r.State)), member: m, score: at},
				zfact{req: r.ID, key: l.PartKey(tag, ixReason, r.Reason), member: m, score: at},
				zfact{req: r.ID, key: l.PartKey(tag, ixInitiator, string(r.Initiator)), member: m, score: at})
			f.c = append(f.c, cfact{r.ID, day, requestCounter(r.State, r.Initiator, r.Reason)})
		}
		if r.State == platform.PendingResponse && r.RespondBy != nil {
			f.z = append(f.z, zfact{req: r.ID, key: l.Key(tag, ixPending), member: m, score: ms(*r.RespondBy)})
		}
		if r.Denial != "" {
			f.c = append(f.c, cfact{r.ID, day, cntDenial + string(r.Denial)})
		}
		if r.SellerHit {
			f.z = append(f.z, zfact{req: r.ID, key: l.Key(tag, ixSellerHit), member: m, score: at})
			f.c = append(f.c, cfact{r.ID, day, cntSellerHit})
		}
		switch {
		case r.Sync == order.SyncFailed:
			f.z = append(f.z, zfact{req: r.ID, key: l.Key(tag, ixSyncFailed), member: m, score: at})
			f.Dead = append(f.Dead, DeadFact{Req: r.ID, Version: r.Version, Round: r.Round, Attempts: r.Attempts, Err: r.LastError})
		case r.Unsent(d.Acked):
			f.z = append(f.z, zfact{req: r.ID, key: l.Key(tag, SyncQueued), member: m, score: at})
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

// DeadFact is a version of a document whose sync failed for good.
type DeadFact struct {
	Req      string
	Version  int64
	Round    int
	Attempts int
	Err      string
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
