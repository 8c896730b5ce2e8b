package orderstore

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/order/ordertest"
)

// BenchmarkStoreChange is one atomic transition through Store.Change on a
// real redis-server on loopback: read, decide, compare-and-set, two round
// trips (it skips without redis-server).
func BenchmarkStoreChange(b *testing.B) {
	rdb := redistest.Start(b, redistest.Options{}).Client()
	store := NewStore(rdb)
	raw, ad, req := ordertest.BenchDoc(b)
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
