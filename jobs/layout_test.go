package jobs

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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

// compactStore reports whether the store is compact, where an order's
// sync lock is a header of its document's value ("~" token " " expiry in
// Unix ms "\n", then the document) instead of syncLockKey.
func compactStore(rdb redis.Cmdable) bool {
	v, _ := rdb.Get(context.Background(), "cancelsync:store:format").Result()
	return strings.HasPrefix(v, "2 ")
}

// plantLock puts another holder's sync lock on the order, expiring after
// ttl, as a process that took it and crashed leaves it.
func plantLock(t *testing.T, rdb redis.Cmdable, adapterID, orderID, token string, ttl time.Duration) {
	t.Helper()
	ctx := context.Background()
	if !compactStore(rdb) {
		if err := rdb.Set(ctx, syncLockKey(adapterID, orderID), token, ttl).Err(); err != nil {
			t.Fatal(err)
		}
		return
	}
	doc := dropLock(t, rdb, adapterID, orderID)
	v := "~" + token + " " + strconv.FormatInt(time.Now().Add(ttl).UnixMilli(), 10) + "\n" + doc
	if err := rdb.Set(ctx, orderKey(adapterID, orderID), v, 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// dropLock takes the order's sync lock away, whoever holds it, and
// returns its document.
func dropLock(t *testing.T, rdb redis.Cmdable, adapterID, orderID string) string {
	t.Helper()
	ctx := context.Background()
	rdb.Del(ctx, syncLockKey(adapterID, orderID))
	v, err := rdb.Get(ctx, orderKey(adapterID, orderID)).Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "~") {
		return v
	}
	doc := v[strings.IndexByte(v, '\n')+1:]
	if err := rdb.Set(ctx, orderKey(adapterID, orderID), doc, 0).Err(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// lockHeld reports whether the order's sync lock is held, in either place.
func lockHeld(rdb redis.Cmdable, adapterID, orderID string) bool {
	ctx := context.Background()
	v, _ := rdb.Get(ctx, orderKey(adapterID, orderID)).Result()
	return strings.HasPrefix(v, "~") || rdb.Exists(ctx, syncLockKey(adapterID, orderID)).Val() > 0
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
