package orderstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dedup remembers the webhook-ids an adapter accepted for the dedup window
// (DeliveryKey), and marks a snapshot delivery that ingest is queueing for
// the workers, so that Change with Guarded stores nothing for it. A
// delivery is named by its adapter, the order it is about and its
// webhook-id: on a cluster its keys are in the order's bucket (keys.go).
type Dedup struct {
	rdb redis.UniversalClient
	l   layout
}

// NewDedup works on rdb.
func NewDedup(rdb redis.UniversalClient) *Dedup { return &Dedup{rdb: rdb, l: layoutOf(rdb)} }

// Seen reports whether the adapter accepted webhookID within the dedup
// window.
func (d *Dedup) Seen(ctx context.Context, adapterID, orderID, webhookID string) (bool, error) {
	n, err := d.rdb.Exists(ctx, d.l.deliveryKey(adapterID, orderID, webhookID)).Result()
	return n > 0, err
}

// Remember sets the delivery's key for ttl, whether or not it is set.
func (d *Dedup) Remember(ctx context.Context, adapterID, orderID, webhookID string, ttl time.Duration) error {
	return d.rdb.Set(ctx, d.l.deliveryKey(adapterID, orderID, webhookID), "1", ttl).Err()
}

// RememberNew sets the delivery's key for ttl unless it is set; fresh is
// false when another delivery of the webhook-id set it first.
func (d *Dedup) RememberNew(ctx context.Context, adapterID, orderID, webhookID string, ttl time.Duration) (fresh bool, err error) {
	return d.rdb.SetNX(ctx, d.l.deliveryKey(adapterID, orderID, webhookID), "1", ttl).Result()
}

// markScript marks a delivery as being queued (KEYS[1], for ARGV[1] ms)
// and returns whether its dedup key (KEYS[2]) is set.
var markScript = redis.NewScript(`
redis.call("SET", KEYS[1], "1", "PX", ARGV[1])
return redis.call("EXISTS", KEYS[2])
`)

// MarkQueueing marks the delivery as being queued for window and reports,
// in the same round trip, whether it is remembered already. The mark is
// never a claim: it only makes Change with Guarded store nothing for the
// delivery while it lasts.
func (d *Dedup) MarkQueueing(ctx context.Context, adapterID, orderID, webhookID string, window time.Duration) (remembered bool, err error) {
	keys := []string{d.l.queuedKey(adapterID, orderID, webhookID), d.l.deliveryKey(adapterID, orderID, webhookID)}
	n, err := markScript.Run(ctx, d.rdb, keys, window.Milliseconds()).Int()
	return n > 0, err
}
