package shopify

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

// TestLiveReadCarriesLines: the order read live (order(id:)) keeps each
// line's id and what of it was fulfilled, as the webhook does, so a line
// cancellation decided after a live check still finds its lines.
func TestLiveReadCarriesLines(t *testing.T) {
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	now := time.Now().UTC().Truncate(time.Second)
	shop.PutOrder(shopifytest.Order{ID: "1001", CreatedAt: now, UpdatedAt: now, FinancialStatus: "PAID", FulfillmentStatus: "PARTIALLY_FULFILLED",
		Currency: "USD", Total: "30.0", Lines: []shopifytest.Line{
			{ID: "11", SKU: "A", Quantity: 2, Price: "10.0", Fulfilled: 1},
			{ID: "12", SKU: "B", Quantity: 1, Price: "10.0"},
		}})
	bd := NewBoundary(platform.Settings{ID: "s", API: platform.API{BaseURL: shop.URL, Token: "t", Timeout: 5 * time.Second},
		Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com"})})
	o, err := bd.Reader.Order(context.Background(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Items) != 2 {
		t.Fatalf("%d items, want 2", len(o.Items))
	}
	for i, want := range []struct {
		line           string
		qty, fulfilled int
	}{{"11", 2, 1}, {"12", 1, 0}} {
		it := o.Items[i]
		if it.LineID != want.line || it.Quantity != want.qty || it.Fulfilled != want.fulfilled {
			t.Errorf("item %d = line %q qty %d fulfilled %d, want %q %d %d", i, it.LineID, it.Quantity, it.Fulfilled, want.line, want.qty, want.fulfilled)
		}
	}
}

// TestPollRereadWaitsOutThrottling: an order with more lines than a poll
// page carries is read again on its own; THROTTLED on that read is waited
// out like the rest of the poll (docs/API.md §13), not the poll's end.
func TestPollRereadWaitsOutThrottling(t *testing.T) {
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	now := time.Now().UTC().Truncate(time.Second)
	var lines []shopifytest.Line
	for i := range pollLines + 5 {
		lines = append(lines, shopifytest.Line{ID: strconv.Itoa(100 + i), SKU: "S" + strconv.Itoa(i), Quantity: 1, Price: "1.0"})
	}
	shop.PutOrder(shopifytest.Order{ID: "1001", CreatedAt: now, UpdatedAt: now, FinancialStatus: "PAID", FulfillmentStatus: "UNFULFILLED",
		Currency: "USD", Total: "25.0", Lines: lines})
	shop.ScriptReadsOf("order", shopifytest.ThrottledAnswer)
	bd := NewBoundary(platform.Settings{ID: "s", API: platform.API{BaseURL: shop.URL, Token: "t", Timeout: 5 * time.Second},
		Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com"})})
	r := bd.Reader.(*reader)
	var waited []time.Duration
	r.g.Sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	var got []*platform.Order
	err := r.UpdatedSince(context.Background(), now.Add(-time.Minute), func(os []*platform.Order) error {
		got = append(got, os...)
		return nil
	})
	if err != nil {
		t.Fatalf("the poll ended: %v", err)
	}
	if len(got) != 1 || len(got[0].Items) != pollLines+5 {
		t.Fatalf("orders %d (items %v), want the order with its %d lines", len(got), got, pollLines+5)
	}
	if len(waited) == 0 {
		t.Fatal("THROTTLED was not waited out")
	}
}
