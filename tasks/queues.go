package tasks

import (
	"hash/fnv"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/keyslot"
)

// Queues. Events are the webhooks; timers re-check requests when a deadline
// or the order wait runs out; sync pushes states back to the platforms.
// These are the names on one Redis (single server or Sentinel), those of
// earlier releases: an upgrade finds the tasks they queued where it looks.
const (
	QueueEvents = "cancelsync-events"
	QueueSync   = "cancelsync-sync"
)

// Shards is how many events queues and how many sync queues cancelsync
// uses on a Redis Cluster. Asynq keeps a queue in one hash slot, so one
// queue is one master's load; an order's tasks go to the shard of its
// order, and every worker serves every shard with equal priority. The
// names are chosen so their slots fall in the eight eighths of the slot
// space: on 3 masters each gets 2 or 3 of each kind (at most 3/8 of the
// queue commands), and up to 8 masters get one each. More shards would
// spread further but cost every idle worker process one more dequeue
// script per queue per poll (docs/CLUSTER-NOTES.md: some 115 commands/s
// per queue for the 25 ms poll); 8 + 8 cost a worker about 1,300 commands/s
// when idle, under 1 % of a master's capacity.
const Shards = 8

// Layout places tasks on queues: the two queues of earlier releases on one
// Redis, Shards of each kind on a cluster.
type Layout struct {
	events, sync []string
}

var clusterLayout = func() Layout {
	var l Layout
	for k := range Shards {
		// Stored names (tasks wait in them across releases): never change.
		l.events = append(l.events, keyslot.Spread(QueueEvents+"-", k, Shards))
		l.sync = append(l.sync, keyslot.Spread(QueueSync+"-", k, Shards))
	}
	return l
}()

// LayoutOf is the layout for rdb: sharded on a cluster client.
func LayoutOf(rdb redis.UniversalClient) Layout {
	if _, ok := rdb.(*redis.ClusterClient); ok {
		return clusterLayout
	}
	return Layout{events: []string{QueueEvents}, sync: []string{QueueSync}}
}

// shard is the shard of an order's tasks.
func (l Layout) shard(adapterID, orderID string) int {
	if len(l.events) == 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(strconv.Itoa(len(adapterID)) + ":" + adapterID + orderID))
	return int(h.Sum32() % uint32(len(l.events)))
}

// Events is the events queue of an order's webhooks and timers.
func (l Layout) Events(adapterID, orderID string) string {
	return l.events[l.shard(adapterID, orderID)]
}

// Sync is the sync queue of an order.
func (l Layout) Sync(adapterID, orderID string) string {
	return l.sync[l.shard(adapterID, orderID)]
}

// EventsQueues are every events queue.
func (l Layout) EventsQueues() []string { return l.events }

// SyncQueues are every sync queue.
func (l Layout) SyncQueues() []string { return l.sync }
