package index

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
)

// Layout is where an adapter's indexes are: orderstore's layout, which
// builds every key (its keys.go). On one Redis an adapter has one tag; on a
// cluster one per bucket, and reads of a whole adapter merge them.
type Layout interface {
	// Tag is the tag of the indexes an order id, or a buyer id, of the
	// adapter writes.
	Tag(adapterID, id string) string
	// Tags are all of the adapter's tags.
	Tags(adapterID string) []string
	// Cluster reports a Redis Cluster, which no earlier release wrote.
	Cluster() bool
	// Key is the index name in tag; PartKey the one of name and part
	// (an empty part is a part).
	Key(tag, name string) string
	PartKey(tag, name, part string) string
}

// Source is what the console's reads need of the store that writes the
// indexes (orderstore.Store).
type Source interface {
	Layout
	Redis() redis.UniversalClient
	// Docs reads the documents of the adapter's orders, in one round
	// trip: nil for an order without one.
	Docs(ctx context.Context, adapterID string, orderIDs []string) ([]*order.Doc, error)
	// Now and Retention bound what the indexes hold (Period).
	Now() time.Time
	Retention() time.Duration
}
