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

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, sentinelPassword string
		want                  string // String()
		check                 func(t *testing.T, o Opt)
	}{
		{url: "redis://:pw@127.0.0.1:6379/3", want: "redis://127.0.0.1:6379/3", check: func(t *testing.T, o Opt) {
			if o.single.Password != "pw" || o.single.DB != 3 || o.Sentinel() {
				t.Errorf("options %+v", o.single)
			}
		}},
		{url: "rediss://r.example:6380/0?dial_timeout=2s", want: "rediss://r.example:6380/0", check: func(t *testing.T, o Opt) {
			if o.single.TLSConfig == nil || o.single.DialTimeout != 2*time.Second {
				t.Errorf("options %+v", o.single)
			}
		}},
		{url: "redis-sentinel://u:master-pw@s1,s2:26380,10.0.0.3:26379/2?master=mymaster", sentinelPassword: "sentinel-pw",
			want: `sentinel master "mymaster" via s1:26379,s2:26380,10.0.0.3:26379 db 2`, check: func(t *testing.T, o Opt) {
				f := o.failover
				if !o.Sentinel() || f.Username != "u" || f.Password != "master-pw" || f.SentinelPassword != "sentinel-pw" || f.DB != 2 {
					t.Errorf("options %+v", f)
				}
			}},
		{url: "redis-cluster://:pw@r3.example,10.0.0.1:7000,10.0.0.2:7000", want: "redis-cluster://r3.example:6379,10.0.0.1:7000,10.0.0.2:7000", check: func(t *testing.T, o Opt) {
			c := o.cluster
			if !o.Cluster() || o.Sentinel() || c.Password != "pw" || c.TLSConfig != nil || len(c.Addrs) != 3 {
				t.Errorf("options %+v", c)
			}
		}},
		{url: "rediss-cluster://u:pw@r1.example:7000?dial_timeout=2s&read_timeout=5s", want: "rediss-cluster://r1.example:7000", check: func(t *testing.T, o Opt) {
			c := o.cluster
			if c.TLSConfig == nil || c.Username != "u" || c.Password != "pw" || c.DialTimeout != 2*time.Second {
				t.Errorf("options %+v", c)
			}
			// The floor applies to what the URL leaves unset, as with one server.
			rdb := o.Client().(*redis.ClusterClient)
			defer rdb.Close()
			if got := rdb.Options(); got.ReadTimeout != 5*time.Second || got.WriteTimeout != ioTimeout || got.ClusterStateReloadInterval != slotMapAge {
				t.Errorf("client options: read %v write %v reload %v", got.ReadTimeout, got.WriteTimeout, got.ClusterStateReloadInterval)
			}
		}},
	}
	for _, tt := range tests {
		o, err := Parse(tt.url, tt.sentinelPassword)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.url, err)
			continue
		}
		if got := o.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.url, got, tt.want)
		}
		tt.check(t, o)
	}

	for _, bad := range []struct{ url, sentinelPassword string }{
		{"redis-sentinel://s1:26379/0", ""},
		{"redis-sentinel:///0?master=m", ""},
		{"redis-sentinel://s1?master=m&x=1", ""},
		{"redis-sentinel://s1/zero?master=m", ""},
		{"redis://:SEKRIT@h:6379/0", "sentinel-pw"},
		{"redis://:SEKRIT@h:6379/zero", ""},
		{"http://:SEKRIT@h:6379/0", ""},
		{"redis-cluster://:SEKRIT@h:7000", "sentinel-pw"},
		{"redis-cluster://:SEKRIT@h:7000/1", ""},
		{"redis-cluster://:SEKRIT@h:7000?pool_size=SEKRIT", ""},
		{"redis-cluster://:SEKRIT@h:7000?bogus=1", ""},
		{"rediss-cluster://:SEKRIT@h:7000?addr=h2:7000", ""},
	} {
		_, err := Parse(bad.url, bad.sentinelPassword)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", bad.url)
		} else if strings.Contains(err.Error(), "SEKRIT") {
			t.Errorf("Parse(%q) error quotes the password: %v", bad.url, err)
		}
	}
}

// TestSentinelFollowsFailover connects through a real Sentinel, runs asynq
// on the connection, then kills the master: the Sentinel promotes the
// replica and the same client and asynq client carry on there.
func TestSentinelFollowsFailover(t *testing.T) {
	t.Parallel()
	master := redistest.Start(t, redistest.Options{})
	replica := redistest.StartReplica(t, master)
	sentinel := redistest.StartSentinel(t, master, "mymaster", 500*time.Millisecond)

	o, err := Parse(sentinel.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := o.Client()
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatalf("SET through Sentinel: %v", err)
	}
	if v, _ := master.Client().Get(ctx, "k").Result(); v != "before" {
		t.Fatalf("the write did not land on the master: %q", v)
	}
	client := asynq.NewClientFromRedisClient(rdb)
	if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("q")); err != nil {
		t.Fatalf("asynq enqueue through Sentinel: %v", err)
	}
	// asynqmon builds its clients from the Opt, as a RedisConnOpt.
	inspector := asynq.NewInspector(o)
	defer inspector.Close()
	if info, err := inspector.GetQueueInfo("q"); err != nil || info.Pending != 1 {
		t.Fatalf("inspector through Sentinel: %+v %v", info, err)
	}

	// Replication is asynchronous: let the replica catch up before the
	// master dies, or the failover loses the enqueue above (see
	// docs/OPERATIONS.md).
	if n, err := master.Client().Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica: %d %v", n, err)
	}
	master.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := rdb.Set(ctx, "k", "after", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write after failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, _ := replica.Client().Get(ctx, "k").Result(); v != "after" {
		t.Fatalf("the write after failover did not land on the promoted replica: %q", v)
	}
	if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("q")); err != nil {
		t.Fatalf("asynq enqueue after failover: %v", err)
	}
	if n, _ := replica.Client().LLen(ctx, "asynq:{q}:pending").Result(); n != 2 {
		t.Errorf("pending on the promoted replica = %d, want 2 (one from before, one after)", n)
	}
	var _ redis.UniversalClient = rdb
}
