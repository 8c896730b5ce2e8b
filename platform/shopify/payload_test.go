package shopify

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

func sample(t testing.TB) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/orders_cancelled_sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber() // keep the sample's big ids exact when re-encoded
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeMap(t *testing.T, m map[string]any, topic string) (platform.Event, error) {
	t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	in := mustInbound(t, testShop, testSecret)
	return in.Decode(platform.KindOrders, signed(testSecret, body, topic), body)
}

// Shopify's published sample maps field by field; its ids above 2^53 stay
// exact and its -05:00 times keep their instant.
func TestDecodeSample(t *testing.T) {
	t.Parallel()
	ev, err := decodeMap(t, sample(t), "orders/cancelled")
	if err != nil {
		t.Fatal(err)
	}
	o := ev.Order
	want := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case ev.Type != platform.OrderUpdated || ev.Cancellation != nil:
		t.Errorf("event = %+v", ev)
	case o.ID != "820982911946154508":
		t.Errorf("order id = %q: not exact", o.ID)
	case o.BuyerID != "115310627314723954":
		t.Errorf("buyer id = %q: not exact", o.BuyerID)
	case o.SellerID != testShop:
		t.Errorf("seller id = %q", o.SellerID)
	case o.Status != platform.StatusCancelled:
		t.Errorf("status = %s, want cancelled (cancelled_at is set)", o.Status)
	case !o.PlacedAt.Equal(want) || !o.UpdatedAt.Equal(want):
		t.Errorf("placed/updated = %v/%v, want %v", o.PlacedAt, o.UpdatedAt, want)
	case o.Total != platform.Money{Amount: "388.00", Currency: "USD"}:
		t.Errorf("total = %+v", o.Total)
	case len(o.Items) != 2 || o.Items[0] != platform.Item{SKU: "IPOD2008PINK", Quantity: 1, Price: "199.00", LineID: "866550311766439020"}:
		t.Errorf("items = %+v", o.Items)
	case o.ShippedAt != nil:
		t.Errorf("shipped_at = %v", o.ShippedAt)
	}
}

// The status comes from the fields, first match wins; never from the topic.
func TestDecodeStatus(t *testing.T) {
	t.Parallel()
	ful := func(status, shipment, at string) map[string]any {
		f := map[string]any{"id": 255858046, "status": status, "created_at": at}
		if shipment != "" {
			f["shipment_status"] = shipment
		}
		return f
	}
	tests := []struct {
		name  string
		edit  func(m map[string]any)
		want  platform.OrderStatus
		shipd string // RFC 3339 shipped_at, "" for none
	}{
		{"cancelled_at wins over fulfilments", func(m map[string]any) {
			m["fulfillments"] = []any{ful("success", "delivered", "2022-01-02T10:00:00-05:00")}
		}, platform.StatusCancelled, "2022-01-02T15:00:00Z"},
		{"paid, unfulfilled (fulfillment_status null)", func(m map[string]any) { open(m, "paid") }, platform.StatusPaid, ""},
		{"partially_refunded is paid", func(m map[string]any) { open(m, "partially_refunded") }, platform.StatusPaid, ""},
		{"pending is placed", func(m map[string]any) { open(m, "pending") }, platform.StatusPlaced, ""},
		{"authorized is placed", func(m map[string]any) { open(m, "authorized") }, platform.StatusPlaced, ""},
		{"financial_status absent is placed", func(m map[string]any) { open(m, "paid"); delete(m, "financial_status") }, platform.StatusPlaced, ""},
		{"partial is shipped", func(m map[string]any) { open(m, "paid"); m["fulfillment_status"] = "partial" }, platform.StatusShipped, ""},
		{"fulfilled is shipped", func(m map[string]any) { open(m, "paid"); m["fulfillment_status"] = "fulfilled" }, platform.StatusShipped, ""},
		{"an open fulfilment is shipped", func(m map[string]any) {
			open(m, "paid")
			m["fulfillments"] = []any{ful("open", "", "2022-01-02T10:00:00-05:00")}
		}, platform.StatusShipped, ""},
		{"earliest successful fulfilment is shipped_at", func(m map[string]any) {
			open(m, "paid")
			m["fulfillment_status"] = "fulfilled"
			m["fulfillments"] = []any{
				ful("success", "in_transit", "2022-01-03T10:00:00-05:00"),
				ful("cancelled", "", "2022-01-01T10:00:00-05:00"),
				ful("success", "", "2022-01-02T23:30:00-05:00"),
			}
		}, platform.StatusShipped, "2022-01-03T04:30:00Z"},
		{"every successful fulfilment delivered", func(m map[string]any) {
			open(m, "paid")
			m["fulfillments"] = []any{ful("success", "delivered", "2022-01-02T10:00:00-05:00"), ful("cancelled", "", "2022-01-01T10:00:00Z")}
		}, platform.StatusDelivered, "2022-01-02T15:00:00Z"},
		{"one of two delivered is shipped", func(m map[string]any) {
			open(m, "paid")
			m["fulfillments"] = []any{ful("success", "delivered", "2022-01-02T10:00:00Z"), ful("success", "in_transit", "2022-01-02T11:00:00Z")}
		}, platform.StatusShipped, "2022-01-02T10:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := sample(t)
			tt.edit(m)
			// The topic says cancelled every time, as in Shopify's samples.
			ev, err := decodeMap(t, m, "orders/cancelled")
			if err != nil {
				t.Fatal(err)
			}
			if ev.Order.Status != tt.want {
				t.Errorf("status = %s, want %s", ev.Order.Status, tt.want)
			}
			got := ""
			if ev.Order.ShippedAt != nil {
				got = ev.Order.ShippedAt.Format(time.RFC3339)
			}
			if got != tt.shipd {
				t.Errorf("shipped_at = %q, want %q", got, tt.shipd)
			}
		})
	}
}

// open makes the sample an open order with the given financial status.
func open(m map[string]any, financial string) {
	m["cancelled_at"] = nil
	m["cancel_reason"] = nil
	m["financial_status"] = financial
	m["fulfillment_status"] = nil
}

func TestDecodeTraps(t *testing.T) {
	t.Parallel()
	t.Run("guest", func(t *testing.T) {
		t.Parallel()
		m := sample(t)
		m["customer"] = nil
		ev, err := decodeMap(t, m, "orders/create")
		if err != nil {
			t.Fatal(err)
		}
		if ev.Order.BuyerID != Guest || ev.Type != platform.OrderCreated {
			t.Errorf("buyer %q, type %s; want guest, order.created", ev.Order.BuyerID, ev.Type)
		}
		m["customer"] = map[string]any{"id": nil, "email": nil} // a deleted customer
		if ev, err = decodeMap(t, m, "orders/updated"); err != nil || ev.Order.BuyerID != Guest {
			t.Errorf("customer without id: %v, %v; want guest", ev.Order, err)
		}
	})
	t.Run("ids past 2^53 and float64's neighbours", func(t *testing.T) {
		t.Parallel()
		// 2^53+1 is the first integer a float64 cannot hold.
		body := []byte(strings.Replace(string(mustJSON(t, sample(t))), `"id":820982911946154508`, `"id":9007199254740993`, 1))
		body = []byte(strings.Replace(string(body), `"id":115310627314723954`, `"id":18446744073709551615`, 1))
		in := mustInbound(t, testShop, testSecret)
		ev, err := in.Decode(platform.KindOrders, signed(testSecret, body, "orders/updated"), body)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Order.ID != "9007199254740993" || ev.Order.BuyerID != "18446744073709551615" {
			t.Errorf("ids = %q, %q", ev.Order.ID, ev.Order.BuyerID)
		}
	})
	t.Run("lines", func(t *testing.T) {
		t.Parallel()
		m := sample(t)
		lines := m["line_items"].([]any)
		first, second := lines[0].(map[string]any), lines[1].(map[string]any)
		first["current_quantity"] = json.Number("0") // removed by an edit
		second["sku"] = ""
		second["quantity"] = json.Number("3")
		second["current_quantity"] = json.Number("2")
		third := map[string]any{"id": json.Number("141249953214522975"), "sku": nil, "variant_id": nil, "quantity": json.Number("1"), "price": "5.00"}
		m["line_items"] = append(lines, third)
		ev, err := decodeMap(t, m, "orders/edited-later")
		if err != nil {
			t.Fatal(err)
		}
		// 3 ordered, 1 taken off (current_quantity 2), 1 fulfillable of
		// the 2 (the sample's fulfillable_quantity): 1 fulfilled.
		want := []platform.Item{
			{SKU: "variant-808950810", Quantity: 2, Price: "199.00", LineID: "141249953214522974", Fulfilled: 1, Removed: 1},
			{SKU: "line-141249953214522975", Quantity: 1, Price: "5.00", LineID: "141249953214522975"},
		}
		if len(ev.Order.Items) != 2 || ev.Order.Items[0] != want[0] || ev.Order.Items[1] != want[1] {
			t.Errorf("items = %+v, want %+v", ev.Order.Items, want)
		}
	})
	t.Run("ignored topics", func(t *testing.T) {
		t.Parallel()
		for _, topic := range []string{"products/update", "customers/create", "orders/delete", "orders/edited", "", "orders"} {
			if _, err := decodeMap(t, sample(t), topic); !errors.Is(err, platform.ErrIgnored) {
				t.Errorf("topic %q: %v, want ErrIgnored", topic, err)
			}
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		m := sample(t)
		m["id"] = "82098291194615450x"
		m["created_at"] = "yesterday"
		m["total_price"] = json.Number("388.0")
		_, err := decodeMap(t, m, "orders/updated")
		var ve *platform.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want a ValidationError", err)
		}
		m = sample(t)
		m["id"] = "x"
		m["created_at"] = "yesterday"
		m["updated_at"] = "1999-12-31T23:59:59Z"
		m["currency"] = "usd"
		_, err = decodeMap(t, m, "orders/updated")
		if !errors.As(err, &ve) || len(ve.Errors) != 4 {
			t.Fatalf("err = %v, want 4 field errors", err)
		}
		in := mustInbound(t, testShop, testSecret)
		for _, body := range []string{"", "[]", "{", `{"id":1}{}`, `{"id":true}`} {
			if _, err := in.Decode(platform.KindOrders, signed(testSecret, []byte(body), "orders/updated"), []byte(body)); !errors.As(err, &ve) {
				t.Errorf("%q: %v, want a ValidationError", body, err)
			}
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
