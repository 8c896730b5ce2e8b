package orderstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/index"
)

// leaseScript takes the lease (KEYS[1]) for ARGV[2] ms when it is free, or
// extends it when this process (ARGV[1]) holds it.
var leaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 end
return 0
`)

// SweepLease reports whether the process holding token holds the
// sweeper's lease for ttl from now: taken when free, extended when it
// holds it already.
func (s *Store) SweepLease(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{sweepLeaseKey}, token, ttl.Milliseconds()).Int()
	return n == 1, err
}

// ReleaseSweepLease gives the lease back if token holds it.
func (s *Store) ReleaseSweepLease(ctx context.Context, token string) error {
	return leaseUnlockScript.Run(ctx, s.rdb, []string{sweepLeaseKey}, token).Err()
}

// Buckets is how many buckets the adapter's indexes are spread over
// (keys.go): 1 on one Redis, Buckets on a cluster.
func (s *Store) Buckets(adapterID string) int { return len(s.l.tags(adapterID)) }

// UnackedPage reads members start to start+count-1 of bucket's share
// (0 to Buckets-1) of the adapter's index of versions the platform has
// not acknowledged (index.SyncQueued) and returns how many it read and their
// distinct orders, in index order.
func (s *Store) UnackedPage(ctx context.Context, adapterID string, bucket int, start, count int64) (read int, orders []string, err error) {
	members, err := s.rdb.ZRange(ctx, ixKey(s.l.tags(adapterID)[bucket], index.SyncQueued), start, start+count-1).Result()
	if err != nil {
		return 0, nil, err
	}
	seen := map[string]bool{}
	for _, m := range members {
		if orderID, _, ok := index.SplitMember(m); ok && !seen[orderID] {
			seen[orderID] = true
			orders = append(orders, orderID)
		}
	}
	return len(members), orders, nil
}

// UnlockedDocs reads the orders' documents and sync locks in one round
// trip: docs[i] is the document of orders[i], nil when a sync of it holds
// its lock, when it has none, or when it does not decode (its own tasks
// fail and say why).
func (s *Store) UnlockedDocs(ctx context.Context, adapterID string, orders []string) ([]*order.Doc, error) {
	docs := make([]*redis.StringCmd, len(orders))
	locks := make([]*redis.IntCmd, len(orders))
	// A lock key exists only while the store writes JSON or just after
	// its switch to compact (lock.go); a compact store's locks are in the
	// documents read here anyway.
	keyLocks := s.lockMode() != "doc"
	pipe := s.rdb.Pipeline()
	for i, orderID := range orders {
		docs[i] = pipe.Get(ctx, s.l.orderKey(adapterID, orderID))
		if keyLocks {
			locks[i] = pipe.Exists(ctx, s.l.syncLockKey(adapterID, orderID))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]*order.Doc, len(orders))
	now := time.Now().UnixMilli()
	for i, orderID := range orders {
		if keyLocks && locks[i].Val() > 0 { // a lock key (lock.go)
			continue
		}
		raw, err := docs[i].Bytes()
		if err != nil || lockedAt(raw, now) { // or a header lock
			continue
		}
		if doc, err := decodeDoc(adapterID+"/"+orderID, stored(raw)); err == nil {
			out[i] = doc
		}
	}
	return out, nil
}
