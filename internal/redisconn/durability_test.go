package redisconn_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/internal/redistest"
)

// Real redis-servers: one set as cancelsync needs, one without appendonly
// and evicting, one whose CONFIG command is renamed away (as managed
// services do), and one that is gone.
func TestDurability(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	good := redistest.Start(t, redistest.Options{AppendOnly: true})
	if w, err := redisconn.Durability(ctx, good.Client()); err != nil || len(w) != 0 {
		t.Errorf("appendonly yes, noeviction: %q, %v; want no warning", w, err)
	}

	bad := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory-policy", "allkeys-lru"}})
	w, err := redisconn.Durability(ctx, bad.Client())
	if err != nil || len(w) != 2 ||
		!strings.HasPrefix(w[0], "redis appendonly is no:") || !strings.HasPrefix(w[1], "redis maxmemory-policy is allkeys-lru:") {
		t.Errorf("appendonly no, allkeys-lru: %q, %v; want a warning for each", w, err)
	}

	managed := redistest.Start(t, redistest.Options{AppendOnly: true, Args: []string{"--rename-command", "CONFIG", ""}})
	w, err = redisconn.Durability(ctx, managed.Client())
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "could not be checked") {
		t.Errorf("CONFIG renamed away: %q, %v; want one could-not-check warning, no error", w, err)
	}

	gone := redistest.Start(t, redistest.Options{})
	rdb := gone.Client()
	gone.Stop()
	if w, err := redisconn.Durability(ctx, rdb); err == nil {
		t.Errorf("Redis stopped: %q, nil; want an error", w)
	}
}
