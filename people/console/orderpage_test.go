package console_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// The order page shows the order and whether a cancellation would be taken
// from one read of its document.
func TestOrderPageReadsTheOrderOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	store := orderstore.NewStore(r.rdb)
	placed := time.Now().UTC().Add(-time.Minute)
	if _, _, err := store.Change(context.Background(), "shop-a", "o-once", nil, func(d *order.Doc) bool {
		d.Order = &order.Snapshot{Status: platform.StatusPaid, PlacedAt: placed, UpdatedAt: placed}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, r)
	b.signIn("tok-a")
	gets := &orderGets{}
	r.rdb.AddHook(gets)
	res, page := b.get("/console/adapters/shop-a/orders/o-once")
	if res.StatusCode != 200 || !strings.Contains(page, "o-once") {
		t.Fatalf("order page: %d\n%s", res.StatusCode, page)
	}
	if n := gets.count(); n != 1 {
		t.Errorf("the order page read the order's document %d times, want 1", n)
	}
	if res, _ := b.get("/console/adapters/shop-a/orders/o-none"); res.StatusCode != 404 {
		t.Errorf("unknown order: %d, want 404", res.StatusCode)
	}
}

// orderGets counts the GETs of a key naming order o-once.
type orderGets struct {
	mu sync.Mutex
	n  int
}

func (h *orderGets) note(c redis.Cmder) {
	if a := c.Args(); c.Name() == "get" && len(a) == 2 {
		if k, ok := a[1].(string); ok && strings.Contains(k, "o-once") {
			h.mu.Lock()
			h.n++
			h.mu.Unlock()
		}
	}
}

func (h *orderGets) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (h *orderGets) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *orderGets) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error { h.note(c); return next(ctx, c) }
}
func (h *orderGets) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error {
		for _, c := range cs {
			h.note(c)
		}
		return next(ctx, cs)
	}
}
