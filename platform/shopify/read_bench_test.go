package shopify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

func benchBoundary(b *testing.B, n int) (*shopifytest.Server, *platform.Boundary) {
	shop := shopifytest.NewServer()
	b.Cleanup(shop.Close)
	shop.SetBucket(shopifytest.Bucket{Max: 2000, Restore: 1e9}) // cost is counted, not waited for
	now := time.Now().UTC().Truncate(time.Second)
	for i := range n {
		shop.PutOrder(shopifytest.Order{ID: fmt.Sprint(1000 + i), CreatedAt: now, UpdatedAt: now, FinancialStatus: "PAID",
			Currency: "USD", Total: "10.0", Lines: []shopifytest.Line{{SKU: "A", Quantity: 1, Price: "10.0"}}})
	}
	bd := NewBoundary(platform.Settings{ID: "s", API: platform.API{BaseURL: shop.URL, Token: "t", Timeout: 5 * time.Second},
		Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com"})})
	return shop, bd
}

// BenchmarkLiveRead is the live check's cost to a cancellation: one
// order(id:) round trip to a loopback fake.
func BenchmarkLiveRead(b *testing.B) {
	_, bd := benchBoundary(b, 1)
	for b.Loop() {
		if _, err := bd.Reader.Order(context.Background(), "1000"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoll1000 lists 1,000 updated orders; it reports the calls and
// the query cost Shopify would charge.
func BenchmarkPoll1000(b *testing.B) {
	shop, bd := benchBoundary(b, 1000)
	for b.Loop() {
		n := 0
		if err := bd.Reader.UpdatedSince(context.Background(), time.Now().Add(-time.Hour), func(p []*platform.Order) error { n += len(p); return nil }); err != nil || n != 1000 {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(float64(len(shop.AllCalls()))/float64(b.N), "calls/poll")
	b.ReportMetric(shop.Spent()/float64(b.N), "points/poll")
}
