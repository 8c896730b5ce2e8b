package jobs

import (
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// The Redis layout these tests look into, as orderstore writes it. It is a
// copy on purpose: stored data outlives a release, so renaming a key or a
// counter field must fail a test here, not pass silently because the test
// asked the code under test for the new name.

func orderKey(adapterID, orderID string) string {
	return "cancelsync:order:{" + adapterID + ":" + orderID + "}"
}

func syncLockKey(adapterID, orderID string) string {
	return "cancelsync:synclock:{" + adapterID + ":" + orderID + "}"
}

func ixKey(adapterID, name string, parts ...string) string {
	n := len("cancelsync:ix:{}:") + len(adapterID) + len(name)
	for _, p := range parts {
		n += len(p) + 22 // ':', the length (at most 20 digits), ':'
	}
	var b strings.Builder
	b.Grow(n)
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

func indexMember(orderID, requestID string) string {
	return strconv.Itoa(len(orderID)) + ":" + orderID + requestID
}

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

func requestCounter(state platform.State, who platform.Party, reason string) string {
	return cntRequest + string(state) + "|" + string(who) + "|" + reason
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

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
	// cntLegacyRequests ("n") counted requests per day until every request
	// counted once under its state was enough: the day's requests are the
	// sum of its requests by state (one command less per request).
	// Day hashes written before hold it; Stats ignores it.
	cntLegacyRequests = "n"
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

const (
	ixDead      = "dead"
	ixDeadEntry = "deadentry"
)

const (
	adoptedKey    = "cancelsync:dlq:adopted"
	asynqArchived = "asynq:{" + tasks.QueueSync + "}:archived"
)
