package woocommerce_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

const secret = "Wc secret: {with} spaces & punctuation!"

// docOrder is the REST API docs' "Retrieve an order" example (testdata/SOURCE.md).
func docOrder(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/order_retrieve_727.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit replaces old (which must occur) in the docs' order.
func edit(t testing.TB, body []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(body, []byte(old)) {
		t.Fatalf("fixture has no %q", old)
	}
	return bytes.Replace(body, []byte(old), []byte(new), 1)
}

func endpoints(t testing.TB, statusMap map[string]string) map[platform.Kind]platform.Inbound {
	t.Helper()
	in, err := woocommerce.Endpoints(platform.Settings{ID: "woo", Secrets: []string{secret}, Block: platform.BlockOf(map[string]any{"policy.status_map": statusMap})})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func headers(topic string) http.Header {
	h := http.Header{}
	h.Set("X-WC-Webhook-Topic", topic)
	h.Set("X-WC-Webhook-Source", "https://Example.com/")
	h.Set("X-WC-Webhook-ID", "17")
	return h
}

func TestDecodeDocsOrder(t *testing.T) {
	t.Parallel()
	in := endpoints(t, nil)[platform.KindOrders]
	ev, err := in.Decode(platform.KindOrders, headers("order.updated"), docOrder(t))
	if err != nil {
		t.Fatal(err)
	}
	o := ev.Order
	if ev.Type != platform.OrderUpdated || ev.Cancellation != nil || o == nil {
		t.Fatalf("event %+v", ev)
	}
	want := platform.Order{
		ID: "727", Status: platform.StatusPaid,
		PlacedAt:  time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC),
		UpdatedAt: time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC),
		BuyerID:   "guest", SellerID: "example.com",
		Total: platform.Money{Amount: "29.35", Currency: "USD"},
		Items: []platform.Item{{SKU: "product-93", Quantity: 2, Price: "3.00", LineID: "315"}, {SKU: "Bar3", Quantity: 1, Price: "12.00", LineID: "316"}},
	}
	if got, w := adapterstestJSON(t, o), adapterstestJSON(t, &want); got != w {
		t.Fatalf("order\n got %s\nwant %s", got, w)
	}
	if o.PlacedAt.Location() != time.UTC {
		t.Fatal("placed_at not UTC")
	}
	ev, err = in.Decode(platform.KindOrders, headers("order.created"), docOrder(t))
	if err != nil || ev.Type != platform.OrderCreated {
		t.Fatalf("order.created: %v %v", ev.Type, err)
	}
}

func TestDecodeTraps(t *testing.T) {
	t.Parallel()
	in := endpoints(t, map[string]string{"shipped": "shipped", "awaiting-pickup": "paid"})[platform.KindOrders]
	base := docOrder(t)
	cases := []struct {
		name  string
		body  []byte
		check func(t *testing.T, o *platform.Order)
	}{
		{"pending is placed", edit(t, base, `"status": "processing"`, `"status": "pending"`), status(platform.StatusPlaced)},
		{"on-hold is placed", edit(t, base, `"status": "processing"`, `"status": "on-hold"`), status(platform.StatusPlaced)},
		{"failed is placed", edit(t, base, `"status": "processing"`, `"status": "failed"`), status(platform.StatusPlaced)},
		{"completed", edit(t, base, `"status": "processing"`, `"status": "completed"`), status(platform.StatusCompleted)},
		{"cancelled", edit(t, base, `"status": "processing"`, `"status": "cancelled"`), status(platform.StatusCancelled)},
		{"refunded is cancelled", edit(t, base, `"status": "processing"`, `"status": "refunded"`), status(platform.StatusCancelled)},
		{"status_map: shipped", edit(t, base, `"status": "processing"`, `"status": "shipped"`), status(platform.StatusShipped)},
		{"status_map: awaiting-pickup", edit(t, base, `"status": "processing"`, `"status": "awaiting-pickup"`), status(platform.StatusPaid)},
		{"fractional price is written with the currency's decimals", edit(t, base, `"price": 3`, `"price": 3.3333333333333335`), price(0, "3.33")},
		{"half rounds away from zero", edit(t, base, `"price": 3`, `"price": 2.675`), price(0, "2.68")},
		{"exponent price", edit(t, base, `"price": 3`, `"price": 1.0e-5`), price(0, "0.00")},
		{"price as a string", edit(t, base, `"price": 3`, `"price": "3.5"`), price(0, "3.50")},
		{"JPY has no decimals", edit(t, base, `"currency": "USD"`, `"currency": "JPY"`), func(t *testing.T, o *platform.Order) {
			if o.Total.Amount != "29" || o.Items[1].Price != "12" {
				t.Errorf("JPY amounts %q %q", o.Total.Amount, o.Items[1].Price)
			}
		}},
		{"KWD has three", edit(t, base, `"currency": "USD"`, `"currency": "KWD"`), price(1, "12.000")},
		{"null sku", edit(t, base, `"sku": "Bar3"`, `"sku": null`), sku(1, "product-22")},
		{"customer", edit(t, base, `"customer_id": 0`, `"customer_id": 26`), func(t *testing.T, o *platform.Order) {
			if o.BuyerID != "26" {
				t.Errorf("buyer %q", o.BuyerID)
			}
		}},
		{"id above 2^53 stays exact", edit(t, base, `"id": 727`, `"id": 9007199254740993`), func(t *testing.T, o *platform.Order) {
			if o.ID != "9007199254740993" {
				t.Errorf("id %q", o.ID)
			}
		}},
		{"date with a zone is that instant", edit(t, base, `"date_modified_gmt": "2017-03-22T19:28:08"`, `"date_modified_gmt": "2017-03-22T16:28:08-03:00"`), func(t *testing.T, o *platform.Order) {
			if !o.UpdatedAt.Equal(time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC)) {
				t.Errorf("updated_at %v", o.UpdatedAt)
			}
		}},
		{"removed line (quantity 0) is skipped", edit(t, base, `"quantity": 2`, `"quantity": 0`), func(t *testing.T, o *platform.Order) {
			if len(o.Items) != 1 || o.Items[0].SKU != "Bar3" {
				t.Errorf("items %+v", o.Items)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ev, err := in.Decode(platform.KindOrders, headers("order.updated"), c.body)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, ev.Order)
		})
	}
}

func status(want platform.OrderStatus) func(*testing.T, *platform.Order) {
	return func(t *testing.T, o *platform.Order) {
		if o.Status != want {
			t.Errorf("status %q, want %q", o.Status, want)
		}
	}
}

func price(i int, want string) func(*testing.T, *platform.Order) {
	return func(t *testing.T, o *platform.Order) {
		if o.Items[i].Price != want {
			t.Errorf("items[%d].price %q, want %q", i, o.Items[i].Price, want)
		}
	}
}

func sku(i int, want string) func(*testing.T, *platform.Order) {
	return func(t *testing.T, o *platform.Order) {
		if o.Items[i].SKU != want {
			t.Errorf("items[%d].sku %q, want %q", i, o.Items[i].SKU, want)
		}
	}
}

func TestDecodeIgnored(t *testing.T) {
	t.Parallel()
	in := endpoints(t, nil)[platform.KindOrders]
	base := docOrder(t)
	for name, c := range map[string]struct {
		topic string
		body  []byte
	}{
		"checkout-draft":   {"order.updated", edit(t, base, `"status": "processing"`, `"status": "checkout-draft"`)},
		"trash":            {"order.updated", edit(t, base, `"status": "processing"`, `"status": "trash"`)},
		"order.deleted":    {"order.deleted", []byte(`{"id":727}`)},
		"product.updated":  {"product.updated", []byte(`{"id":93}`)},
		"action topic":     {"action.woocommerce_order_status_changed", []byte(`{"action":"x","arg":727}`)},
		"order.restored":   {"order.restored", base},
		"coupon.created":   {"coupon.created", []byte(`not even json`)},
		"customer.deleted": {"customer.deleted", []byte(`{"id":1}`)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := in.Decode(platform.KindOrders, headers(c.topic), c.body)
			if !errors.Is(err, platform.ErrIgnored) {
				t.Fatalf("err %v, want ErrIgnored", err)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	t.Parallel()
	in := endpoints(t, nil)[platform.KindOrders]
	base := docOrder(t)
	noSource := headers("order.updated")
	noSource.Del("X-WC-Webhook-Source")
	noTopic := headers("order.updated")
	noTopic.Del("X-WC-Webhook-Topic")
	cases := []struct {
		name, field, msg string
		h                http.Header
		body             []byte
	}{
		{"unknown status is named", "status", `"shipped"`, nil, edit(t, base, `"status": "processing"`, `"status": "shipped"`)},
		{"negative price", "line_items[0].price", "", nil, edit(t, base, `"price": 3`, `"price": -3`)},
		{"absurd exponent", "line_items[0].price", "", nil, edit(t, base, `"price": 3`, `"price": 1e999999`)},
		{"total not a number", "total", "", nil, edit(t, base, `"total": "29.35"`, `"total": "29,35"`)},
		{"bad currency", "currency", "", nil, edit(t, base, `"currency": "USD"`, `"currency": "usd"`)},
		{"date out of range", "date_created_gmt", "", nil, edit(t, base, `"date_created_gmt": "2017-03-22T19:28:02"`, `"date_created_gmt": "1999-12-31T23:59:59"`)},
		{"date garbage", "date_created_gmt", "", nil, edit(t, base, `"date_created_gmt": "2017-03-22T19:28:02"`, `"date_created_gmt": "yesterday"`)},
		{"id zero", "id", "", nil, edit(t, base, `"id": 727`, `"id": 0`)},
		{"fractional id", "id", "", nil, edit(t, base, `"id": 727`, `"id": 727.5`)},
		{"negative customer", "customer_id", "", nil, edit(t, base, `"customer_id": 0`, `"customer_id": -1`)},
		{"fractional quantity", "line_items[0].quantity", "", nil, edit(t, base, `"quantity": 2`, `"quantity": 1.5`)},
		{"id of the wrong type", "id", "", nil, edit(t, base, `"id": 727`, `"id": true`)},
		{"no source header", "X-WC-Webhook-Source", "", noSource, base},
		{"no topic header", "X-WC-Webhook-Topic", "", noTopic, base},
		{"malformed JSON", "", "", nil, []byte(`{"id": 727`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := c.h
			if h == nil {
				h = headers("order.updated")
			}
			_, err := in.Decode(platform.KindOrders, h, c.body)
			ve, ok := errors.AsType[*platform.ValidationError](err)
			if !ok {
				t.Fatalf("err %v, want a ValidationError", err)
			}
			found := false
			for _, fe := range ve.Errors {
				if fe.Field == c.field && strings.Contains(fe.Message, c.msg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("errors %+v, want one on %q containing %q", ve.Errors, c.field, c.msg)
			}
		})
	}
}
