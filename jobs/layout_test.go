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
	k := "cancelsync:ix:{" + adapterID + "}:" + name
	for _, p := range parts {
		k += ":" + strconv.Itoa(len(p)) + ":" + p
	}
	return k
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
	return cntRequest + kindOf(state, who, reason)
}

// kindOf is a request's kind: the key part of its ixKind set, a member
// of its tag's ixKinds.
func kindOf(state platform.State, who platform.Party, reason string) string {
	return string(state) + "|" + string(who) + "|" + reason
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Index names and day counter fields (orderstore/index/facts.go explains
// them); the legacy ones are what earlier releases wrote and this one
// must still read or remove.
const (
	ixLegacyAll = "all"
	ixState     = "state"
	ixReason    = "reason"
	ixInitiator = "initiator"
	ixKind      = "kind"
	ixKinds     = "kinds"
	ixBuyer     = "buyer"
	ixRepeat    = "repeat"
	ixDay       = "day"
)

const (
	cntOrders         = "o"
	cntLegacyRequests = "n"
	cntRequest        = "c:"
	cntState          = "s:"
	cntReason         = "r:"
	cntInitiator      = "i:"
)

const (
	ixDead      = "dead"
	ixDeadEntry = "deadentry"
)

const (
	adoptedKey    = "cancelsync:dlq:adopted"
	asynqArchived = "asynq:{" + tasks.QueueSync + "}:archived"
)
