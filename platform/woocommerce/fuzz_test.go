package woocommerce_test

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// FuzzDecode feeds the order decoder arbitrary bodies and topics. It must
// never panic, and what it accepts must be an order the rest of cancelsync
// can hold: ids and amounts in their rules, times in range, items with a
// SKU and a positive quantity.
func FuzzDecode(f *testing.F) {
	doc, err := os.ReadFile("testdata/order_retrieve_727.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc, "order.updated")
	f.Add([]byte(`{"id":1,"status":"pending","currency":"JPY","date_created_gmt":"2026-01-01T00:00:00","total":"1","customer_id":0,"line_items":[{"product_id":1,"quantity":1,"sku":null,"price":1e2}]}`), "order.created")
	f.Add([]byte(`{"id":"12","status":"shipped","currency":"KWD","date_created_gmt":"2026-01-01T00:00:00Z","total":0.0005,"line_items":[]}`), "order.updated")
	f.Add([]byte(`{"id":1,"status":"trash"}`), "order.updated")
	f.Add([]byte(`[]`), "order.created")
	f.Add([]byte(`webhook_id=1`), "")
	in, err := woocommerce.Endpoints(platform.Settings{Secrets: []string{"s"}, Block: platform.BlockOf(map[string]any{"policy.status_map": map[string]string{"shipped": "shipped"}})})
	if err != nil {
		f.Fatal(err)
	}
	orders := in[platform.KindOrders]
	f.Fuzz(func(t *testing.T, body []byte, topic string) {
		h := http.Header{}
		h.Set("X-WC-Webhook-Topic", topic)
		h.Set("X-WC-Webhook-Source", "https://shop.example/")
		ev, err := orders.Decode(platform.KindOrders, h, body)
		if err != nil {
			_, invalid := errors.AsType[*platform.ValidationError](err)
			if !invalid && !errors.Is(err, platform.ErrIgnored) {
				t.Fatalf("error neither invalid nor ignored: %v", err)
			}
			return
		}
		o := ev.Order
		if o == nil || o.ID == "" || o.BuyerID == "" || o.SellerID == "" || o.Status == "" {
			t.Fatalf("accepted an incomplete order %+v", o)
		}
		for _, at := range []time.Time{o.PlacedAt, o.UpdatedAt} {
			if at.Year() < 2000 || at.Year() >= 2100 || at.Location() != time.UTC {
				t.Fatalf("time %v", at)
			}
		}
		if !amountOK(o.Total.Amount) {
			t.Fatalf("total %q", o.Total.Amount)
		}
		for _, it := range o.Items {
			if it.SKU == "" || it.Quantity < 1 || !amountOK(it.Price) {
				t.Fatalf("item %+v", it)
			}
		}
		// Verification never accepts an unsigned body.
		if _, err := orders.Verify(h, body, time.Time{}); !errors.Is(err, platform.ErrSignature) {
			t.Fatalf("unsigned body verified: %v", err)
		}
	})
}

func amountOK(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return true
}
