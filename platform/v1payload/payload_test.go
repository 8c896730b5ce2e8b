package v1payload_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1payload"
)

// The bodies of docs/API.md §3.
const (
	orderExample = `{
  "type": "order.created",
  "data": {
    "order_id": "PM-10023",
    "status": "paid",
    "placed_at": "2026-11-20T10:00:00Z",
    "updated_at": "2026-11-20T10:05:00Z",
    "buyer_id": "b-17",
    "seller_id": "s-4",
    "total": {"amount": "42.50", "currency": "USD"},
    "items": [{"sku": "JKT-M", "quantity": 1, "price": "42.50"}],
    "shipped_at": null,
    "requirements_submitted": false,
    "work_delivered": false
  }
}`
	cancellationExample = `{
  "type": "cancellation.requested",
  "data": {
    "order_id": "PM-10023",
    "request_id": "cr-881",
    "initiator": "buyer",
    "reason": "changed_mind",
    "comments": "Ordered the wrong size",
    "occurred_at": "2026-11-20T11:00:00Z"
  }
}`
)

func mustParse(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// edited returns body with fn applied to its decoded form: a test states
// only what it changes.
func edited(t *testing.T, body string, fn func(b, data map[string]any)) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	fn(b, b["data"].(map[string]any))
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setData(key string, value any) func(b, data map[string]any) {
	return func(_, data map[string]any) {
		if value == nil {
			delete(data, key)
			return
		}
		data[key] = value
	}
}

func TestDecodeOrderExample(t *testing.T) {
	t.Parallel()
	ev, err := v1payload.NewDecoder().Decode(platform.KindOrders, nil, []byte(orderExample))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := platform.Event{
		Type: platform.OrderCreated,
		Order: &platform.Order{
			ID:        "PM-10023",
			Status:    platform.StatusPaid,
			PlacedAt:  mustParse("2026-11-20T10:00:00Z"),
			UpdatedAt: mustParse("2026-11-20T10:05:00Z"),
			BuyerID:   "b-17",
			SellerID:  "s-4",
			Total:     platform.Money{Amount: "42.50", Currency: "USD"},
			Items:     []platform.Item{{SKU: "JKT-M", Quantity: 1, Price: "42.50"}},
		},
	}
	if !reflect.DeepEqual(ev, want) {
		t.Fatalf("Decode =\n%+v\nwant\n%+v", *ev.Order, *want.Order)
	}
	if ev.OrderID() != "PM-10023" {
		t.Fatalf("OrderID() = %q", ev.OrderID())
	}
}

func TestDecodeOrderAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  func(t *testing.T) []byte
		check func(t *testing.T, o *platform.Order)
	}{
		{
			name: "order.updated, minimal fields, defaults",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(b, data map[string]any) {
					b["type"] = "order.updated"
					for _, k := range []string{"items", "shipped_at", "requirements_submitted", "work_delivered"} {
						delete(data, k)
					}
				})
			},
			check: func(t *testing.T, o *platform.Order) {
				if o.Items != nil || o.ShippedAt != nil || o.RequirementsSubmitted || o.WorkDelivered {
					t.Fatalf("defaults not applied: %+v", o)
				}
			},
		},
		{
			name: "shipped with fiverr flags and an offset time",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(_, data map[string]any) {
					data["status"] = "shipped"
					data["shipped_at"] = "2026-11-21T09:30:00.25+02:00"
					data["requirements_submitted"] = true
					data["work_delivered"] = true
				})
			},
			check: func(t *testing.T, o *platform.Order) {
				if o.ShippedAt == nil || !o.ShippedAt.Equal(mustParse("2026-11-21T07:30:00.25Z")) {
					t.Fatalf("shipped_at = %v", o.ShippedAt)
				}
				if !o.RequirementsSubmitted || !o.WorkDelivered || o.Status != platform.StatusShipped {
					t.Fatalf("flags/status = %+v", o)
				}
			},
		},
		{
			name: "JPY without decimals",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(_, data map[string]any) {
					data["total"] = map[string]any{"amount": "4250", "currency": "JPY"}
					data["items"] = []any{map[string]any{"sku": "A", "quantity": 2, "price": "2125"}}
				})
			},
			check: func(t *testing.T, o *platform.Order) {
				if o.Total.Amount != "4250" || o.Items[0].Quantity != 2 {
					t.Fatalf("order = %+v", o)
				}
			},
		},
		{
			name: "BHD with three decimals, USD with one",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(_, data map[string]any) {
					data["total"] = map[string]any{"amount": "1.250", "currency": "BHD"}
					data["items"] = []any{map[string]any{"sku": "A", "quantity": 1, "price": "1.2"}}
				})
			},
		},
		{
			name: "ids at the 128 character limit with every allowed character",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(_, data map[string]any) {
					data["order_id"] = strings.Repeat("aZ09._:-", 16)
				})
			},
		},
		{
			name: "unknown fields ignored",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, func(b, data map[string]any) {
					b["api_version"] = "2026-01"
					data["currency_symbol"] = "$"
				})
			},
		},
		{
			name: "empty items list",
			body: func(t *testing.T) []byte {
				return edited(t, orderExample, setData("items", []any{}))
			},
		},
	}
	in := v1payload.NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := in.Decode(platform.KindOrders, nil, tt.body(t))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Order == nil || ev.Cancellation != nil {
				t.Fatalf("event = %+v", ev)
			}
			if tt.check != nil {
				tt.check(t, ev.Order)
			}
		})
	}
}

func TestDecodeOrderRejects(t *testing.T) {
	t.Parallel()
	raw := func(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }
	edit := func(fn func(b, data map[string]any)) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return edited(t, orderExample, fn) }
	}
	replace := func(old, new string) func(*testing.T) []byte {
		return raw(strings.Replace(orderExample, old, new, 1))
	}
	tests := []struct {
		name string
		body func(*testing.T) []byte
		want []platform.FieldError
	}{
		{"cancellation type on the orders endpoint", replace(`"order.created"`, `"cancellation.requested"`),
			fe("type", "must be one of: order.created order.updated")},
		{"type missing", edit(func(b, _ map[string]any) { delete(b, "type") }),
			fe("type", "is required")},
		{"type not a string", replace(`"order.created"`, `7`),
			fe("type", "must be a string, got number")},
		{"data missing", raw(`{"type":"order.created"}`),
			fe("data", "is required")},
		{"data null", raw(`{"type":"order.created","data":null}`),
			fe("data", "is required")},
		{"data not an object", raw(`{"type":"order.created","data":"PM-1"}`),
			fe("data", "must be an object, got string")},
		{"empty body", raw(``),
			fe("body", "is not valid JSON: unexpected end of JSON input (at byte 0)")},
		{"truncated body", raw(orderExample[:40]),
			fe("body", "is not valid JSON: unexpected end of JSON input (at byte 40)")},
		{"trailing object", raw(orderExample + ` {}`),
			fe("body", fmt.Sprintf("is not valid JSON: invalid character '{' after top-level value (at byte %d)", len(orderExample)+2))},
		{"trailing garbage", raw(orderExample + `x`),
			fe("body", fmt.Sprintf("is not valid JSON: invalid character 'x' after top-level value (at byte %d)", len(orderExample)+1))},
		{"top-level array", raw(`[` + orderExample + `]`),
			fe("body", "must be a JSON object")},
		{"invalid UTF-8 in a string", replace(`JKT-M`, "JKT-\xff"),
			fe("body", "must be valid UTF-8")},
		{"every required field missing", raw(`{"type":"order.created","data":{}}`), []platform.FieldError{
			{Field: "data.buyer_id", Message: "is required"},
			{Field: "data.order_id", Message: "is required"},
			{Field: "data.placed_at", Message: "is required"},
			{Field: "data.seller_id", Message: "is required"},
			{Field: "data.status", Message: "is required"},
			{Field: "data.total", Message: "is required"},
			{Field: "data.updated_at", Message: "is required"},
		}},
		{"order_id with a space", edit(setData("order_id", "PM 1")),
			fe("data.order_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"order_id with a slash", edit(setData("order_id", "PM/1")),
			fe("data.order_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"buyer_id too long", edit(setData("buyer_id", strings.Repeat("b", 129))),
			fe("data.buyer_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"seller_id empty", edit(setData("seller_id", "")),
			fe("data.seller_id", "is required")},
		{"unknown status", edit(setData("status", "refunded")),
			fe("data.status", "must be one of: placed paid shipped delivered completed cancelled")},
		{"status in capitals", edit(setData("status", "PAID")),
			fe("data.status", "must be one of: placed paid shipped delivered completed cancelled")},
		{"placed_at a date only", edit(setData("placed_at", "2026-11-20")),
			fe("data.placed_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"updated_at without offset", edit(setData("updated_at", "2026-11-20T10:05:00")),
			fe("data.updated_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"shipped_at empty string", edit(setData("shipped_at", "")),
			fe("data.shipped_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"shipped_at a unix time", replace(`"shipped_at": null`, `"shipped_at": 1763632800`),
			fe("data.shipped_at", "must be a string, got number")},
		{"three decimals in USD", edit(setData("total", map[string]any{"amount": "42.505", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"decimals in JPY", edit(setData("total", map[string]any{"amount": "4250.5", "currency": "JPY"})), []platform.FieldError{
			{Field: "data.items[0].price", Message: "must be a decimal string with no decimals for JPY"},
			{Field: "data.total.amount", Message: "must be a decimal string with no decimals for JPY"},
		}},
		{"four decimals in KWD", edit(setData("total", map[string]any{"amount": "1.2345", "currency": "KWD"})),
			fe("data.total.amount", "must be a decimal string with at most 3 decimals for KWD")},
		{"negative amount", edit(setData("total", map[string]any{"amount": "-42.50", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount with exponent", edit(setData("total", map[string]any{"amount": "4.25e1", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount with thousands separator", edit(setData("total", map[string]any{"amount": "1,042.50", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount ending in a dot", edit(setData("total", map[string]any{"amount": "42.", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount starting with a dot", edit(setData("total", map[string]any{"amount": ".5", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount with a space", edit(setData("total", map[string]any{"amount": " 42.50", "currency": "USD"})),
			fe("data.total.amount", "must be a decimal string with at most 2 decimals for USD")},
		{"amount a JSON number", replace(`"amount": "42.50"`, `"amount": 42.50`),
			fe("data.total.amount", "must be a string, got number")},
		{"currency lower case", edit(setData("total", map[string]any{"amount": "42.50", "currency": "usd"})),
			fe("data.total.currency", "must be an ISO 4217 currency code, like USD")},
		{"currency unknown", edit(setData("total", map[string]any{"amount": "42.50", "currency": "ABC"})),
			fe("data.total.currency", "must be an ISO 4217 currency code, like USD")},
		{"total empty", edit(setData("total", map[string]any{})), []platform.FieldError{
			{Field: "data.total.amount", Message: "is required"},
			{Field: "data.total.currency", Message: "is required"},
		}},
		{"bad price in the second item", edit(setData("items", []any{
			map[string]any{"sku": "A", "quantity": 1, "price": "1.00"},
			map[string]any{"sku": "B", "quantity": 1, "price": "1.001"},
		})), fe("data.items[1].price", "must be a decimal string with at most 2 decimals for USD")},
		{"quantity zero", edit(setData("items", []any{map[string]any{"sku": "A", "quantity": 0, "price": "1"}})),
			fe("data.items[0].quantity", "must be at least 1")},
		{"quantity negative", edit(setData("items", []any{map[string]any{"sku": "A", "quantity": -2, "price": "1"}})),
			fe("data.items[0].quantity", "must be at least 1")},
		{"item fields missing", edit(setData("items", []any{map[string]any{}})), []platform.FieldError{
			{Field: "data.items[0].price", Message: "is required"},
			{Field: "data.items[0].quantity", Message: "is required"},
			{Field: "data.items[0].sku", Message: "is required"},
		}},
		{"sku too long", edit(setData("items", []any{map[string]any{"sku": strings.Repeat("s", 129), "quantity": 1, "price": "1"}})),
			fe("data.items[0].sku", "must be at most 128 characters")},
		{"quantity a string in the third item", replace(`[{"sku": "JKT-M", "quantity": 1, "price": "42.50"}]`,
			`[{"sku": "A", "quantity": 1, "price": "1"}, {"sku": "B", "quantity": 1, "price": "1"}, {"sku": "C", "quantity": "1", "price": "1"}]`),
			fe("data.items[2].quantity", "must be an integer, got string")},
		{"quantity fractional", replace(`"quantity": 1`, `"quantity": 1.5`),
			fe("data.items[0].quantity", "must be a whole number in range")},
		{"quantity overflowing", replace(`"quantity": 1`, `"quantity": 1e40`),
			fe("data.items[0].quantity", "must be a whole number in range")},
		{"item not an object", replace(`[{"sku": "JKT-M", "quantity": 1, "price": "42.50"}]`, `[{"sku": "A", "quantity": 1, "price": "1"}, 5]`),
			fe("data.items[1]", "must be an object, got number")},
		{"items not an array", replace(`[{"sku": "JKT-M", "quantity": 1, "price": "42.50"}]`, `"JKT-M"`),
			fe("data.items", "must be an array, got string")},
		{"order_id a number", replace(`"PM-10023"`, `10023`),
			fe("data.order_id", "must be a string, got number")},
		{"flag a string", replace(`"requirements_submitted": false`, `"requirements_submitted": "yes"`),
			fe("data.requirements_submitted", "must be a boolean, got string")},
		{"several problems at once, sorted", edit(func(_, data map[string]any) {
			data["status"] = "lost"
			data["order_id"] = ""
			data["items"] = []any{map[string]any{"sku": "A", "quantity": 0, "price": "x"}}
			data["placed_at"] = "now"
		}), []platform.FieldError{
			{Field: "data.items[0].price", Message: "must be a decimal string with at most 2 decimals for USD"},
			{Field: "data.items[0].quantity", Message: "must be at least 1"},
			{Field: "data.order_id", Message: "is required"},
			{Field: "data.placed_at", Message: "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z"},
			{Field: "data.status", Message: "must be one of: placed paid shipped delivered completed cancelled"},
		}},
	}
	in := v1payload.NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := in.Decode(platform.KindOrders, nil, tt.body(t))
			assertInvalid(t, ev, err, tt.want)
		})
	}
}

func TestDecodeCancellation(t *testing.T) {
	t.Parallel()
	occurred := mustParse("2026-11-20T11:00:00Z")
	tests := []struct {
		name string
		body string
		want platform.Cancellation
	}{
		{"requested", cancellationExample, platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: "PM-10023", RequestID: "cr-881",
			Initiator: platform.Buyer, Reason: "changed_mind", Comments: "Ordered the wrong size", OccurredAt: occurred,
		}},
		{"requested by the merchant without comments", `{"type":"cancellation.requested","data":{"order_id":"o1","request_id":"r1",
			"initiator":"merchant","reason":"other","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: "o1", RequestID: "r1",
			Initiator: platform.Merchant, Reason: "other", OccurredAt: occurred,
		}},
		{"requested with 1000 two-byte characters", `{"type":"cancellation.requested","data":{"order_id":"o1","request_id":"r1",
			"initiator":"seller","reason":"buyer_unresponsive","comments":"` + strings.Repeat("é", 1000) + `","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: "o1", RequestID: "r1",
			Initiator: platform.Seller, Reason: "buyer_unresponsive", Comments: strings.Repeat("é", 1000), OccurredAt: occurred,
		}},
		{"responded", `{"type":"cancellation.responded","data":{"order_id":"o1","request_id":"r1",
			"decision":"decline","responder":"seller","comments":"already packed","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationResponded, OrderID: "o1", RequestID: "r1",
			Decision: platform.Decline, Responder: platform.Seller, Comments: "already packed", OccurredAt: occurred,
		}},
		{"responded ignores request fields", `{"type":"cancellation.responded","data":{"order_id":"o1","request_id":"r1",
			"initiator":"buyer","reason":"other","decision":"accept","responder":"buyer","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationResponded, OrderID: "o1", RequestID: "r1",
			Decision: platform.Accept, Responder: platform.Buyer, OccurredAt: occurred,
		}},
		{"withdrawn", `{"type":"cancellation.withdrawn","data":{"order_id":"o1","request_id":"r1","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationWithdrawn, OrderID: "o1", RequestID: "r1", OccurredAt: occurred,
		}},
		{"withdrawn ignores whatever else it carries", `{"type":"cancellation.withdrawn","data":{"order_id":"o1","request_id":"r1",
			"initiator":"nobody","reason":7,"decision":["x"],"comments":"` + strings.Repeat("x", 2000) + `","occurred_at":"2026-11-20T11:00:00Z"}}`, platform.Cancellation{
			Type: platform.CancellationWithdrawn, OrderID: "o1", RequestID: "r1", OccurredAt: occurred,
		}},
	}
	in := v1payload.NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := in.Decode(platform.KindCancellations, nil, []byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if ev.Order != nil || ev.Cancellation == nil || ev.Type != tt.want.Type {
				t.Fatalf("event = %+v", ev)
			}
			if !reflect.DeepEqual(*ev.Cancellation, tt.want) {
				t.Fatalf("cancellation =\n%+v\nwant\n%+v", *ev.Cancellation, tt.want)
			}
		})
	}
}

func TestDecodeCancellationRejects(t *testing.T) {
	t.Parallel()
	const reasons = "changed_mind ordered_by_mistake duplicate_order found_better_price payment_issue shipping_delay price_or_product_change seller_unresponsive unreliable_seller buyer_unresponsive other"
	tests := []struct {
		name string
		body string
		want []platform.FieldError
	}{
		{"order type on the cancellations endpoint", orderExample,
			fe("type", "must be one of: cancellation.requested cancellation.responded cancellation.withdrawn")},
		{"unknown cancellation type", strings.Replace(cancellationExample, "requested", "approved", 1),
			fe("type", "must be one of: cancellation.requested cancellation.responded cancellation.withdrawn")},
		{"data missing", `{"type":"cancellation.withdrawn"}`, fe("data", "is required")},
		{"data an array", `{"type":"cancellation.withdrawn","data":[]}`, fe("data", "must be an object, got array")},
		{"malformed", `{"type":"cancellation.withdrawn","data":{`, fe("body", "is not valid JSON: unexpected end of JSON input (at byte 41)")},
		{"requested without initiator and reason", `{"type":"cancellation.requested","data":{"order_id":"o1","request_id":"r1","occurred_at":"2026-11-20T11:00:00Z"}}`,
			[]platform.FieldError{{Field: "data.initiator", Message: "is required"}, {Field: "data.reason", Message: "is required"}}},
		{"requested with unknown initiator and reason", strings.NewReplacer(`"buyer"`, `"admin"`, `"changed_mind"`, `"bored"`).Replace(cancellationExample),
			[]platform.FieldError{{Field: "data.initiator", Message: "must be one of: buyer seller merchant"}, {Field: "data.reason", Message: "must be one of: " + reasons}}},
		{"comments over 1000 characters", strings.Replace(cancellationExample, "Ordered the wrong size", strings.Repeat("é", 1001), 1),
			fe("data.comments", "must be at most 1000 characters")},
		{"request_id a number", strings.Replace(cancellationExample, `"cr-881"`, `881`, 1),
			fe("data.request_id", "must be a string, got number")},
		{"request_id with a space", strings.Replace(cancellationExample, `"cr-881"`, `"cr 881"`, 1),
			fe("data.request_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"order_id a dot segment", strings.Replace(cancellationExample, `"PM-10023"`, `"."`, 1),
			fe("data.order_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"order_id two dots", strings.Replace(cancellationExample, `"PM-10023"`, `".."`, 1),
			fe("data.order_id", "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or ..")},
		{"occurred_at in year 9999", strings.Replace(cancellationExample, "2026-11-20T11:00:00Z", "9999-12-31T23:59:59Z", 1),
			fe("data.occurred_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"occurred_at at 2100-01-01", strings.Replace(cancellationExample, "2026-11-20T11:00:00Z", "2100-01-01T00:00:00Z", 1),
			fe("data.occurred_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"occurred_at before 2000", strings.Replace(cancellationExample, "2026-11-20T11:00:00Z", "1999-12-31T23:59:59Z", 1),
			fe("data.occurred_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"occurred_at not RFC 3339", strings.Replace(cancellationExample, "2026-11-20T11:00:00Z", "20 Nov 2026 11:00", 1),
			fe("data.occurred_at", "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z")},
		{"responded without decision and responder", `{"type":"cancellation.responded","data":{"order_id":"o1","request_id":"r1","occurred_at":"2026-11-20T11:00:00Z"}}`,
			[]platform.FieldError{{Field: "data.decision", Message: "is required"}, {Field: "data.responder", Message: "is required"}}},
		{"responded by the merchant", `{"type":"cancellation.responded","data":{"order_id":"o1","request_id":"r1","decision":"maybe","responder":"merchant","occurred_at":"2026-11-20T11:00:00Z"}}`,
			[]platform.FieldError{{Field: "data.decision", Message: "must be one of: accept decline"}, {Field: "data.responder", Message: "must be one of: buyer seller"}}},
		{"withdrawn without ids", `{"type":"cancellation.withdrawn","data":{"occurred_at":"2026-11-20T11:00:00Z"}}`,
			[]platform.FieldError{{Field: "data.order_id", Message: "is required"}, {Field: "data.request_id", Message: "is required"}}},
		{"withdrawn without occurred_at", `{"type":"cancellation.withdrawn","data":{"order_id":"o1","request_id":"r1"}}`,
			fe("data.occurred_at", "is required")},
		{"invalid UTF-8 in comments", strings.Replace(cancellationExample, "wrong size", "wrong \xc3\x28size", 1),
			fe("body", "must be valid UTF-8")},
	}
	in := v1payload.NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := in.Decode(platform.KindCancellations, nil, []byte(tt.body))
			assertInvalid(t, ev, err, tt.want)
		})
	}
}

func TestDecodeUnknownKind(t *testing.T) {
	t.Parallel()
	_, err := v1payload.NewDecoder().Decode(platform.Kind("refunds"), nil, []byte(orderExample))
	var ve *platform.ValidationError
	if err == nil || errors.As(err, &ve) {
		t.Fatalf("Decode(refunds) error = %v, want a non-validation error", err)
	}
}

func fe(field, message string) []platform.FieldError {
	return []platform.FieldError{{Field: field, Message: message}}
}

func assertInvalid(t *testing.T, ev platform.Event, err error, want []platform.FieldError) {
	t.Helper()
	var ve *platform.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Decode = %+v, %v; want a *ValidationError", ev, err)
	}
	if !reflect.DeepEqual(ve.Errors, want) {
		t.Fatalf("errors =\n%q\nwant\n%q", ve.Errors, want)
	}
	if !sort.SliceIsSorted(ve.Errors, func(i, j int) bool { return ve.Errors[i].Field < ve.Errors[j].Field }) {
		t.Fatalf("errors not sorted by field: %q", ve.Errors)
	}
	if ev.Order != nil || ev.Cancellation != nil {
		t.Fatalf("event %+v returned with an error", ev)
	}
}

func BenchmarkDecodeOrder(b *testing.B) {
	in := v1payload.NewDecoder()
	body := []byte(orderExample)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := in.Decode(platform.KindOrders, nil, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCancellation(b *testing.B) {
	in := v1payload.NewDecoder()
	body := []byte(cancellationExample)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := in.Decode(platform.KindCancellations, nil, body); err != nil {
			b.Fatal(err)
		}
	}
}
