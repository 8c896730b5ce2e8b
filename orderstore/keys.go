package orderstore

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/keyslot"
)

// Every Redis key cancelsync writes is built in this file. Asynq's own
// keys are Asynq's; the one read here is asynqArchivedKey. The tag of each
// key is the part in braces: keys a script or transaction touches together
// share a tag, so on a Redis Cluster they share a hash slot.
//
// There are two layouts, chosen by the client (layoutOf):
//
//   - One Redis (single server or Sentinel): the layout of earlier
//     releases, kept so that an upgrade reads every document, dedup key,
//     lock and index the previous release wrote. The order's document and
//     lock carry the tag {adapter:order}, everything else of the adapter
//     {adapter}; the compare-and-set writes both, which one server allows.
//   - Redis Cluster: an adapter's orders are spread over Buckets buckets
//     by a hash of the order id, and everything one order's change writes
//     carries its bucket's tag: the document, the sync lock, the dedup
//     keys of its deliveries, and the bucket's share of the adapter's
//     indexes, counters and dead-letter record. A buyer's set of
//     cancellations and the repeat cancellers live in the bucket of the
//     buyer id; the set of adapters with dead letters and the sweeper's
//     lease are single keys. Reads of a whole adapter merge its buckets.
//
// A cluster starts empty (there is no previous release's data to read on
// it), so the two layouts never meet in one Redis.

// Buckets is how many buckets an adapter's orders are spread over on a
// Redis Cluster. Their tags are chosen to fall in the 16 sixteenths of the
// slot space (bucketTags), so that one adapter's load lands on every
// master: 5 or 6 buckets each on 3 masters, at least one each up to 16.
const Buckets = 16

// layout says which of the two layouts a Store's keys follow.
type layout struct{ cluster bool }

// layoutOf is the layout for rdb: the cluster's for a cluster client.
func layoutOf(rdb redis.UniversalClient) layout {
	_, ok := rdb.(*redis.ClusterClient)
	return layout{cluster: ok}
}

// tagCache holds each adapter's bucket tags (bucketTags).
var tagCache sync.Map // adapter id → []string

// bucketTags are the tags of an adapter's buckets: bucket k's is the
// first of "adapter:0", "adapter:1", ... whose slot lies in the k-th
// sixteenth of the slot space. Stored keys carry them: never change this.
func bucketTags(adapterID string) []string {
	if v, ok := tagCache.Load(adapterID); ok {
		return v.([]string)
	}
	tags := make([]string, Buckets)
	for k := range tags {
		tags[k] = keyslot.Spread(adapterID+":", k, Buckets)
	}
	tagCache.Store(adapterID, tags)
	return tags
}

// bucketOf is the bucket of an order (or a buyer) id.
func bucketOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % Buckets)
}

// tag is the tag of the indexes an order of the adapter writes: the
// adapter's on one Redis, the order's bucket's on a cluster. A buyer's
// set is in tag(adapter, buyer).
func (l layout) tag(adapterID, id string) string {
	if !l.cluster {
		return adapterID
	}
	return bucketTags(adapterID)[bucketOf(id)]
}

// tags are all the tags of an adapter's indexes, which a read of the
// whole adapter merges.
func (l layout) tags(adapterID string) []string {
	if !l.cluster {
		return []string{adapterID}
	}
	return bucketTags(adapterID)
}

// tagOf is the tag of a key built here (the part in its first braces).
// A key without one is its own tag.
func tagOf(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j < 0 {
		return key
	}
	return key[i+1 : i+1+j]
}

// orderKey is the order's document.
func (l layout) orderKey(adapterID, orderID string) string {
	if !l.cluster {
		return "cancelsync:order:{" + adapterID + ":" + orderID + "}"
	}
	return "cancelsync:order:{" + l.tag(adapterID, orderID) + "}:" + orderID
}

// syncLockKey is the order's sync lock (lock.go), beside its document.
func (l layout) syncLockKey(adapterID, orderID string) string {
	if !l.cluster {
		return "cancelsync:synclock:{" + adapterID + ":" + orderID + "}"
	}
	return "cancelsync:synclock:{" + l.tag(adapterID, orderID) + "}:" + orderID
}

// ixKey names an index in the tag (an adapter's, or one of its buckets':
// layout.tag). Parts are length-prefixed, as TaskID does, so that no two
// distinct (tag, name, parts) tuples share a key whatever characters the
// parts hold.
func ixKey(tag, name string, parts ...string) string {
	n := len("cancelsync:ix:{}:") + len(tag) + len(name)
	for _, p := range parts {
		n += len(p) + 22 // ':', the length (at most 20 digits), ':'
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString("cancelsync:ix:{")
	b.WriteString(tag)
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

// DeliveryKey is, on one Redis, where an adapter's accepted webhook-id is
// remembered for the dedup window (dedup.go): set by the task that applies
// the delivery, or by the store of a snapshot that ingest applied itself.
func DeliveryKey(adapterID, webhookID string) string {
	return "cancelsync:delivery:{" + adapterID + "}:" + webhookID
}

// deliveryKey is DeliveryKey in the layout; on a cluster it is in the
// bucket of the order the delivery is about, so the compare-and-set that
// applies the delivery sets it.
func (l layout) deliveryKey(adapterID, orderID, webhookID string) string {
	if !l.cluster {
		return DeliveryKey(adapterID, webhookID)
	}
	return "cancelsync:delivery:{" + l.tag(adapterID, orderID) + "}:" + webhookID
}

// queuedKey marks a snapshot delivery that an ingest is queueing for the
// workers (dedup.go, MarkQueueing), beside its deliveryKey.
func (l layout) queuedKey(adapterID, orderID, webhookID string) string {
	if !l.cluster {
		return "cancelsync:queued:{" + adapterID + "}:" + webhookID
	}
	return "cancelsync:queued:{" + l.tag(adapterID, orderID) + "}:" + webhookID
}

// deadAdaptersKey is the set of adapters that have had a dead letter, so
// that List and Size find every adapter's record without a SCAN. It only
// grows, by one member per adapter. It has no adapter's tag: on a cluster
// it is added to before the compare-and-set that records a dead letter
// (which may not touch it), on one Redis by that compare-and-set.
const deadAdaptersKey = "cancelsync:dlq:adapters"

// adoptedKey holds the archive time up to which Asynq's archives of the
// sync queues were adopted into the dead letter's record (deadletter/archive.go).
const adoptedKey = "cancelsync:dlq:adopted"

// asynqArchivedKey is Asynq's sorted set of the archived task ids of
// queue, scored by the archive time in Unix seconds (Asynq's
// base.ArchivedKey; TestArchivedDeadLetterOfThePreviousRelease fails if it
// moves).
func asynqArchivedKey(queue string) string { return "asynq:{" + queue + "}:archived" }

// sweepLeaseKey is the lease that lets one process sweep at a time
// (lease.go).
const sweepLeaseKey = "cancelsync:sweep:lease"

// TaskID names a task by its kind and the components that make it unique;
// it also names keys whose parts come from outside (the storefront's and
// the console's). It is injective: the components are length-prefixed, so
// no two distinct tuples give one id, whatever characters (":", ".", "-")
// the ids hold. It begins with the kind and a hash of the components,
// before any "-", because asynqmon cuts the ids it lists at the first "-";
// what asynqmon shows is then still distinct (docs/OPERATIONS.md). It is
// here, not with the tasks, because the dead letter's record that the
// compare-and-set writes is keyed by a task's id (DeadLetterID).
func TaskID(kind string, parts ...string) string {
	var tail strings.Builder
	for _, p := range parts {
		tail.WriteString(strconv.Itoa(len(p)))
		tail.WriteByte(':')
		tail.WriteString(p)
	}
	sum := sha256.Sum256([]byte(tail.String()))
	return kind + "." + hex.EncodeToString(sum[:8]) + "." + tail.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// reconcileLeaseKey is the lease that lets one process poll an adapter's
// platform at a time (reconcile.go).
func reconcileLeaseKey(adapterID string) string {
	return "cancelsync:reconcile:lease:{" + adapterID + "}"
}

// reconcileKey is an adapter's boundary record (reconcile.go): the poll's
// high-water mark and last success, the webhook subscriptions' states and
// the live checks that failed.
func reconcileKey(adapterID string) string {
	return "cancelsync:reconcile:{" + adapterID + "}"
}

// liveFailedDayKey counts an adapter's failed live checks on at's UTC day
// (reconcile.go); it shares the boundary record's slot.
func liveFailedDayKey(adapterID string, at time.Time) string {
	return "cancelsync:reconcile:live_failed:{" + adapterID + "}:" + at.UTC().Format(time.DateOnly)
}

// The people's keys: a buyer's storefront rate limit (redis_rate puts its
// own "rate:" in front) and Idempotency-Keys of the storefront and the
// console (Claim). Every id goes through TaskID, which length-prefixes the
// components, so no two tuples share a key.

// StorefrontRateKey is one buyer's POST rate limit on one adapter.
func StorefrontRateKey(adapterID, buyerID string) string {
	return "cancelsync:storefront:" + TaskID("rate", adapterID, buyerID)
}

// StorefrontIdempotencyKey is one buyer's Idempotency-Key on one adapter.
func StorefrontIdempotencyKey(adapterID, buyerID, key string) string {
	return "cancelsync:storefront:" + TaskID("idem", adapterID, buyerID, key)
}

// ConsoleIdempotencyKey is an Idempotency-Key of one console action (kind)
// on one adapter.
func ConsoleIdempotencyKey(adapterID, kind, key string) string {
	return "cancelsync:console:" + TaskID("idem", adapterID, kind, key)
}

// ConsoleSessionKey is where a console session lives: named by the
// SHA-256 of its cookie's id, so Redis never holds the cookie itself.
func ConsoleSessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "cancelsync:session:" + hex.EncodeToString(sum[:])
}
