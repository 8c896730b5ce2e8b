package woocommerce

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

func benchBoundary(b *testing.B, n int) (*wootest.Server, *platform.Boundary) {
	store := wootest.NewServer("ck_x", "cs_y")
	b.Cleanup(store.Close)
	at := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05")
	for i := range n {
		store.PutOrder(fmt.Appendf(nil, `{"id":%d,"status":"processing","currency":"USD","date_created_gmt":%q,"date_modified_gmt":%q,"total":"10.00","customer_id":0,"line_items":[{"product_id":1,"sku":"A","quantity":1,"price":10}]}`, 1000+i, at, at))
	}
	bd := NewBoundary(platform.Settings{ID: "w", Secrets: []string{"s"}, API: platform.API{BaseURL: store.URL, Timeout: 5 * time.Second},
		Block: platform.BlockOf(map[string]any{"api.consumer_key": "ck_x", "api.consumer_secret": "cs_y"})})
	return store, bd
}

// BenchmarkLiveRead is the live check's cost to a cancellation: one
// GET /orders/{id} to a loopback fake.
func BenchmarkLiveRead(b *testing.B) {
	_, bd := benchBoundary(b, 1)
	for b.Loop() {
		if _, err := bd.Reader.Order(context.Background(), "1000"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoll1000 lists 1,000 modified orders.
func BenchmarkPoll1000(b *testing.B) {
	store, bd := benchBoundary(b, 1000)
	for b.Loop() {
		n := 0
		if err := bd.Reader.UpdatedSince(context.Background(), time.Now().Add(-time.Hour), func(p []*platform.Order) error { n += len(p); return nil }); err != nil || n != 1000 {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(float64(len(store.Calls()))/float64(b.N), "calls/poll")
}
