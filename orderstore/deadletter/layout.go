package deadletter

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// Layout is where the record's keys are and how its entries are named:
// orderstore's layout, which builds every key (its keys.go). On one Redis
// an adapter's record has one tag; on a cluster one per bucket, and reads
// of a whole adapter merge them.
type Layout interface {
	// Tag is the tag of the record an order of the adapter writes; Tags
	// are all of the adapter's tags.
	Tag(adapterID, orderID string) string
	Tags(adapterID string) []string
	// Key is the record's key name in tag; PartKey the one of name and
	// part.
	Key(tag, name string) string
	PartKey(tag, name, part string) string
	// ID names the dead letter of round round of version's sync
	// (orderstore.DeadLetterID); TaskOrder is the adapter and order such
	// an id, or a sync task's, names.
	ID(adapterID, orderID string, version int64, round int) string
	TaskOrder(id string) (adapterID, orderID string, ok bool)
	// AdaptersKey is the set of adapters that have had a dead letter.
	AdaptersKey() string
	// AdoptedKey holds the archive time up to which Asynq's archives were
	// adopted into the record.
	AdoptedKey() string
	// ArchivedKey is Asynq's archive of queue: task ids scored by their
	// archive time in Unix seconds.
	ArchivedKey(queue string) string
}

// Source is what the record's reads and writes outside a change need of
// the store (orderstore.Store).
type Source interface {
	Layout
	Redis() redis.UniversalClient
	// Now and Retention bound what the record holds: entries leave
	// Retention after their failure.
	Now() time.Time
	Retention() time.Duration
}
