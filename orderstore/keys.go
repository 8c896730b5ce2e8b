package orderstore

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Every Redis key cancelsync writes is built in this file, so that a
// layout for Redis Cluster (an order's document, its dedup keys and its
// bucket of the adapter's indexes sharing one hash tag) changes one file.
// Asynq's own keys are Asynq's; the one read here is asynqArchivedKey.
// The tag of each key is the part in braces.

// orderKey is the order's document.
func orderKey(adapterID, orderID string) string {
	return "cancelsync:order:{" + adapterID + ":" + orderID + "}"
}

// syncLockKey is the order's sync lock (lock.go), beside its document.
func syncLockKey(adapterID, orderID string) string {
	return "cancelsync:synclock:{" + adapterID + ":" + orderID + "}"
}

// ixKey names an index of an adapter. Parts are length-prefixed, as TaskID
// does, so that no two distinct (adapter, name, parts) tuples share a key
// whatever characters the parts hold.
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

// DeliveryKey is where an adapter's accepted webhook-id is remembered for
// the dedup window (dedup.go): set by the task that applies the delivery,
// or by the store of a snapshot that ingest applied itself.
func DeliveryKey(adapterID, webhookID string) string {
	return "cancelsync:delivery:{" + adapterID + "}:" + webhookID
}

// queuedKey marks a snapshot delivery that an ingest is queueing for the
// workers (dedup.go, MarkQueueing).
func queuedKey(adapterID, webhookID string) string {
	return "cancelsync:queued:{" + adapterID + "}:" + webhookID
}

// deadAdaptersKey is the set of adapters that have had a dead letter, so
// that List and Size find every adapter's record without a SCAN. It only
// grows, by one member per adapter. It has no adapter's hash tag: the
// compare-and-set already writes keys of two tags, which holds on one
// Redis (README.md), not Cluster.
const deadAdaptersKey = "cancelsync:dlq:adapters"

// adoptedKey holds the archive time up to which Asynq's archive of the
// sync queue was adopted into the dead letter's record (archive.go).
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
