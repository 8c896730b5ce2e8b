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
// trips (it skips without redis-server), with the document stored and
// written in each format.
func BenchmarkStoreChange(b *testing.B) {
	rdb := redistest.Start(b, redistest.Options{}).Client()
	stored, ad, req := ordertest.BenchDoc(b)
	ctx := context.Background()
	now := time.Now()
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			store := inFormat(NewStore(rdb), f.format)
			doc, err := order.DecodeDoc(stored)
			if err != nil {
				b.Fatal(err)
			}
			raw, err := doc.AppendEncoded(nil, f.format)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				orderID := "o-" + f.name + "-" + strconv.Itoa(i)
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
		})
	}
}
