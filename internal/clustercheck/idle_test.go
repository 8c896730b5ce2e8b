package clustercheck

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/internal/redistest"
)

// TestIdleServerCost measures what one idle Asynq server costs the cluster
// per second with N empty queues, from INFO commandstats summed over the
// masters: round trips (EVALSHA, one per queue per empty poll) and Redis
// commands (those inside the scripts included). Poll is the server's
// TaskCheckInterval: 25 ms is cancelsync's first events server, 1 s
// asynq's default; timers are moved every second (timer_resolution's
// default). It checks that the cost grows with N, at least half as fast as
// N: every empty poll runs one script per queue.
func TestIdleServerCost(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, redistest.ClusterOptions{})
	opt, err := redisconn.Parse(c.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := opt.Client()
	defer rdb.Close()
	cluster := rdb.(*redis.ClusterClient)
	ctx := context.Background()
	const window = 4 * time.Second

	for _, poll := range []time.Duration{25 * time.Millisecond, time.Second} {
		var first float64
		for _, n := range []int{1, 4, 8, 16, 32} {
			qs := map[string]int{}
			for i := range n {
				qs[fmt.Sprintf("idle-%d-%d-%d", poll.Milliseconds(), n, i)] = 1
			}
			srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Queues: qs, Concurrency: 10,
				TaskCheckInterval: poll, DelayedTaskCheckInterval: time.Second, LogLevel: asynq.ErrorLevel})
			if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // past the start-up's own commands
			if err := cluster.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
				return m.ConfigResetStat(ctx).Err()
			}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(window)
			evalsha, total := masterCalls(t, cluster)
			srv.Shutdown()
			rt, cmds := evalsha/window.Seconds(), total/window.Seconds()
			t.Logf("poll %v, %2d queues: %6.0f round trips/s (EVALSHA), %6.0f Redis commands/s", poll, n, rt, cmds)
			if n == 1 {
				first = rt
			} else if rt < first*float64(n)/2 {
				t.Errorf("poll %v: %d queues cost %.0f round trips/s, %d× one queue's %.0f; want at least %d/2×", poll, n, rt, n, first, n)
			}
		}
	}
}

// masterCalls sums INFO commandstats over the masters: EVALSHA calls, and
// all calls but INFO and CONFIG (the measurement's own).
func masterCalls(t *testing.T, c *redis.ClusterClient) (evalsha, total float64) {
	t.Helper()
	var mu sync.Mutex
	err := c.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		info, err := m.Info(ctx, "commandstats").Result()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
			if !ok {
				continue
			}
			calls, _, _ := strings.Cut(rest, ",")
			n, _ := strconv.ParseFloat(calls, 64)
			switch name {
			case "cmdstat_info", "cmdstat_config", "cmdstat_cluster":
			case "cmdstat_evalsha":
				evalsha += n
				total += n
			default:
				total += n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return evalsha, total
}
