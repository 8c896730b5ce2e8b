package redistest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestCluster forms a real cluster, checks that keys spread over three
// masters and that Slot agrees with Redis, then kills the master of a key:
// its replica takes over and the key, written before, is read and written
// again through the same client.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{})
	ctx := context.Background()
	rdb := c.Client()

	if ms := c.Masters(); len(ms) != 3 {
		t.Fatalf("masters = %d, want 3", len(ms))
	}
	masters := map[string]bool{}
	for i := range 30 {
		key := fmt.Sprintf("k%d", i)
		if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		want, err := rdb.ClusterKeySlot(ctx, key).Result()
		if err != nil || int(want) != Slot(key) {
			t.Errorf("Slot(%q) = %d, CLUSTER KEYSLOT = %d (%v)", key, Slot(key), want, err)
		}
		masters[c.MasterOf(key).Addr] = true
	}
	if got, err := rdb.ClusterKeySlot(ctx, "asynq:{q}:pending").Result(); err != nil || int(got) != Slot("asynq:{q}:pending") || Slot("asynq:{q}:pending") != Slot("q") {
		t.Errorf("hash tag: Slot = %d, CLUSTER KEYSLOT = %d (%v), Slot(q) = %d", Slot("asynq:{q}:pending"), got, err, Slot("q"))
	}
	if len(masters) != 3 {
		t.Errorf("30 keys landed on %d masters, want 3", len(masters))
	}

	master := c.MasterOf("k0")
	replica := c.KillMaster(master)
	c.WaitFailover(replica)
	if got := c.MasterOf("k0"); got != replica {
		t.Fatalf("k0's master after failover = %s, want the replica %s", got.Addr, replica.Addr)
	}
	if ms := c.Masters(); len(ms) != 3 {
		t.Errorf("masters after failover = %d, want 3", len(ms))
	}
	// A fresh client asks the cluster for its slots and goes to the new
	// master at once.
	if v, err := c.Client().Get(ctx, "k0").Result(); err != nil || v != "v" {
		t.Errorf("GET k0 after failover, new client = %q, %v", v, err)
	}
	// The old client learns the new map when it fetches it again (on
	// MOVED, or when its map is a second old): until then it dials the
	// dead master and fails.
	start := time.Now()
	for {
		v, err := rdb.Get(ctx, "k0").Result()
		if err == nil {
			if v != "v" {
				t.Errorf("GET k0 after failover = %q", v)
			}
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the old client still fails 10 s after the failover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the old client reached the new master %s after failover", time.Since(start).Round(100*time.Millisecond))
	if err := rdb.Set(ctx, "k0", "after", 0).Err(); err != nil {
		t.Errorf("SET k0 after failover: %v", err)
	}
	if v, _ := replica.Client().Get(ctx, "k0").Result(); v != "after" {
		t.Errorf("the write after failover is not on the promoted replica: %q", v)
	}
}
