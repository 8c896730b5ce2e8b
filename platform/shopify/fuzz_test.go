package shopify

import (
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// FuzzDecode: any body either maps to an order that satisfies the
// snapshot rules, or is refused with field errors or ErrIgnored; nothing
// panics, and an order id is always its digits exactly as sent.
func FuzzDecode(f *testing.F) {
	sampleBody, err := os.ReadFile("testdata/orders_cancelled_sample.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sampleBody, "orders/updated")
	f.Add([]byte(`{"id":9007199254740993,"created_at":"2026-01-01T00:00:00-05:00","updated_at":"2026-01-01T00:00:00Z","currency":"USD","total_price":"1.00","customer":null,"line_items":[{"id":"1","sku":"","variant_id":null,"quantity":1,"current_quantity":0,"price":"1.00"}]}`), "orders/create")
	f.Add([]byte(`{"id":"1e3"}`), "orders/paid")
	f.Add([]byte(`{}`), "products/create")
	in, err := newInbound([]string{"shpss_fuzz_secret_0123456789"}, "acme.myshopify.com")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, topic string) {
		h := http.Header{"X-Shopify-Topic": {topic}}
		ev, err := in.Decode(platform.KindOrders, h, body)
		if err != nil {
			var ve *platform.ValidationError
			if !errors.Is(err, platform.ErrIgnored) && (!errors.As(err, &ve) || len(ve.Errors) == 0) {
				t.Fatalf("error %v is neither ErrIgnored nor field errors", err)
			}
			return
		}
		o := ev.Order
		if o == nil || !platform.Digits(o.ID, 20) || o.BuyerID == "" || o.PlacedAt.IsZero() || o.UpdatedAt.IsZero() || !decimal(o.Total.Amount) {
			t.Fatalf("accepted an invalid order %+v", o)
		}
		for _, it := range o.Items {
			if it.Quantity < 1 || it.SKU == "" || len(it.SKU) > 128 {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

// FuzzVerify: only a body signed with a configured secret, for this shop,
// with a sane webhook id, passes; nothing panics.
func FuzzVerify(f *testing.F) {
	const secret, shop = "shpss_fuzz_secret_0123456789", "acme.myshopify.com"
	f.Add([]byte(`{"id":1}`), Sign(secret, []byte(`{"id":1}`)), "w-1", shop)
	f.Add([]byte(`{"foo": "bar"}`), "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=", "123456789", "shop1.myshopify.io")
	f.Add([]byte{}, "", "", "")
	in, err := newInbound([]string{secret}, shop)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, id, domain string) {
		h := http.Header{"X-Shopify-Hmac-Sha256": {sig}, "X-Shopify-Webhook-Id": {id}, "X-Shopify-Shop-Domain": {domain}}
		got, err := in.Verify(h, body, time.Time{})
		if err != nil {
			if !errors.Is(err, platform.ErrSignature) {
				t.Fatalf("error %v does not wrap ErrSignature", err)
			}
			return
		}
		if sig != Sign(secret, body) || got != id || !platform.ValidDeliveryID(id) {
			t.Fatalf("accepted sig %q id %q domain %q", sig, id, domain)
		}
	})
}
