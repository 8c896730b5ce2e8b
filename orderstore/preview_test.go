package orderstore

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
)

// TestStorePreview reads what Preview needs in one GET and stores nothing;
// an order without a snapshot is ErrNotFound.
func TestStorePreview(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	store := NewStore(rdb)
	ad, err := registry.Default()["poshmark"].New(platform.Settings{
		ID: "p-poshmark", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		API: platform.API{BaseURL: "http://127.0.0.1:9", Token: "tok", Timeout: time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ctx := t.Context()
	if _, err := store.Preview(ctx, ad, "o-none", platform.Cancellation{Initiator: platform.Buyer}, now); err != ErrNotFound {
		t.Fatalf("unknown order: err = %v, want ErrNotFound", err)
	}
	o := &platform.Order{ID: "o-1", Status: platform.StatusPaid, PlacedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour), BuyerID: "b-1", SellerID: "s-1",
		Total: platform.Money{Amount: "42.50", Currency: "USD"}}
	if _, err := store.Update(ctx, ad.ID, "o-1", func(doc *order.Doc) bool {
		tr := &order.Transition{Doc: doc, OrderID: "o-1", Adapter: ad, Now: now}
		tr.ApplyDelivery("w-1", now, platform.Event{Type: platform.OrderCreated, Order: o})
		return tr.Changed()
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := mr.Get(layout{}.orderKey(ad.ID, "o-1"))
	p, err := store.Preview(ctx, ad, "o-1", platform.Cancellation{Initiator: platform.Buyer}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Order.BuyerID != "b-1" || p.Would.State != platform.Cancelled || p.Cancellation != nil ||
		p.CancelBy == nil || !p.CancelBy.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("preview = %+v", p)
	}
	if after, _ := mr.Get(layout{}.orderKey(ad.ID, "o-1")); after != before {
		t.Fatal("Preview changed the stored document")
	}
}
