package orderstore

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// benchDoc is an order as stored after its snapshot, and a request for it.
func benchDoc(b *testing.B) (raw []byte, ad *platform.Adapter, req platform.Event) {
	b.Helper()
	ad = &platform.Adapter{ID: "bench-self", Platform: "selfservice", Rules: selfservice.Policy{}}
	now := time.Now().UTC()
	doc := &order.Doc{}
	tr := &order.Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w-snap", now, snapshot("o-1", platform.StatusPaid, placed))
	raw, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return raw, ad, request("o-1", "cr-1", platform.Buyer)
}

// BenchmarkStoreChange is one atomic transition through Store.Change on a
// real redis-server on loopback: read, decide, compare-and-set, two round
// trips (it skips without redis-server).
func BenchmarkStoreChange(b *testing.B) {
	rdb := redistest.Start(b, redistest.Options{}).Client()
	store := NewStore(rdb)
	raw, ad, req := benchDoc(b)
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		orderID := "o-" + strconv.Itoa(i)
		i++
		if err := rdb.Set(ctx, layout{}.orderKey(ad.ID, orderID), raw, 0).Err(); err != nil {
			b.Fatal(err)
		}
		_, _, err := store.Change(ctx, ad.ID, orderID, nil, func(doc *order.Doc) bool {
			tr := &order.Transition{Doc: doc, OrderID: orderID, Adapter: ad, OrderWait: time.Minute, Now: now}
			tr.ApplyDelivery("w-req", now, req)
			return tr.Changed()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
