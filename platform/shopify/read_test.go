package shopify

import (
	"context"
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
