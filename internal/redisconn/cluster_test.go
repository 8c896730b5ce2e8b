package redisconn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redistest"
)

// TestClusterFollowsFailover connects to a real Redis Cluster through a URL
// listing one node only (discovery finds the rest), runs asynq on it, checks
// every node's settings, then kills the master of asynq's queue: its
// replica takes over and the same client and asynq client carry on there
// within seconds.
func TestClusterFollowsFailover(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, redistest.ClusterOptions{})
	ctx := context.Background()

	o, err := Parse("redis-cluster://"+c.Nodes[3].Addr, "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := o.Client()
	defer rdb.Close()
	if _, ok := rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("Client() = %T; asynqmon shows cluster pages for a *redis.ClusterClient only", rdb)
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if err := rdb.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatalf("SET %s through one listed node: %v", k, err)
		}
	}

	if w, err := Durability(ctx, rdb); err != nil || len(w) != 0 {
		t.Errorf("Durability on a cluster set as cancelsync needs: %q, %v", w, err)
	}
	// One node set otherwise: the warning names it, and only it.
	bad := c.Nodes[5]
	if err := bad.Client().ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	w, err := Durability(ctx, rdb)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], bad.Addr+": redis maxmemory-policy is allkeys-lru") || strings.Contains(w[0], c.Nodes[0].Addr) {
		t.Errorf("Durability with %s evicting: %q, %v; want one warning naming that node only", bad.Addr, w, err)
	}

	client := asynq.NewClientFromRedisClient(rdb)
	if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("q")); err != nil {
		t.Fatalf("asynq enqueue on the cluster: %v", err)
	}
	inspector := asynq.NewInspector(o)
	defer inspector.Close()
	if info, err := inspector.GetQueueInfo("q"); err != nil || info.Pending != 1 {
		t.Fatalf("inspector on the cluster: %+v %v", info, err)
	}

	replica := c.KillMaster(c.MasterOf("asynq:{q}:pending"))
	c.WaitFailover(replica)
	start := time.Now()
	for {
		_, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("q"))
		if err == nil {
			break
		}
		// A second and the client's map is old enough to be fetched again;
		// go-redis's own default left it on the dead master for a minute.
		if time.Since(start) > 10*time.Second {
			t.Fatalf("asynq enqueue still fails 10 s after the failover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("asynq enqueued on the promoted replica %s after the failover", time.Since(start).Round(100*time.Millisecond))
	if n, _ := replica.Client().LLen(ctx, "asynq:{q}:pending").Result(); n != 2 {
		t.Errorf("pending on the promoted replica = %d, want 2 (one from before, one after)", n)
	}
}
