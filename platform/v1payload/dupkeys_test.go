package v1payload_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1payload"
)

// TestDecodeRefusesDuplicateKeys: a name given twice in one object is a 400
// naming the field, wherever it is and however it is spelled; the same name
// in different objects is fine.
func TestDecodeRefusesDuplicateKeys(t *testing.T) {
	in := v1payload.NewDecoder()
	tests := []struct {
		name  string
		kind  platform.Kind
		body  string
		field string // "" when the body must be accepted
	}{
		{"order id twice", platform.KindOrders,
			strings.Replace(orderExample, `"order_id": "PM-10023",`, `"order_id": "PM-10023", "order_id": "PM-666",`, 1), "data.order_id"},
		{"type twice", platform.KindOrders,
			strings.Replace(orderExample, `"type": "order.created",`, `"type": "order.created", "type": "order.updated",`, 1), "type"},
		{"differs only in case", platform.KindOrders,
			strings.Replace(orderExample, `"status": "paid",`, `"status": "paid", "STATUS": "shipped",`, 1), "data.STATUS"},
		{"escaped spelling", platform.KindOrders,
			strings.Replace(orderExample, `"status": "paid",`, `"status": "paid", "st\u0061tus": "shipped",`, 1), "data.status"},
		{"inside an item", platform.KindOrders,
			strings.Replace(orderExample, `"sku": "JKT-M",`, `"sku": "JKT-M", "sku": "JKT-L",`, 1), "data.items[0].sku"},
		{"unknown field twice", platform.KindOrders,
			strings.Replace(orderExample, `"status": "paid",`, `"x": 1, "x": 2, "status": "paid",`, 1), "data.x"},
		{"same name in sibling objects", platform.KindOrders,
			strings.Replace(orderExample, `"price": "42.50"}]`, `"price": "42.50"}, {"sku": "JKT-M", "quantity": 1, "price": "0.50"}]`, 1), ""},
		{"request id twice", platform.KindCancellations,
			strings.Replace(cancellationExample, `"request_id": "cr-881",`, `"request_id": "cr-881", "request_id": "cr-882",`, 1), "data.request_id"},
		{"contract examples", platform.KindCancellations, cancellationExample, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := in.Decode(tt.kind, nil, []byte(tt.body))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *platform.ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != tt.field {
				t.Fatalf("got %v (%+v), want one error on %s", err, ev, tt.field)
			}
			if ve.Errors[0].Message != "is given more than once" {
				t.Fatalf("message %q", ve.Errors[0].Message)
			}
		})
	}
}

// TestDuplicateKeyCheckStaysLinear: an object of 100,000 members (a hostile
// body near the 1 MiB limit) is checked quickly, and the clash is found at
// its end.
func TestDuplicateKeyCheckStaysLinear(t *testing.T) {
	in := v1payload.NewDecoder()
	var b strings.Builder
	b.WriteString(`{"type":"cancellation.requested","data":{"order_id":"o1","request_id":"r1","initiator":"buyer","reason":"other","occurred_at":"2026-11-20T11:00:00Z"`)
	for i := range 100_000 {
		b.WriteString(`,"k` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString(`,"K99999":2}}`)
	start := time.Now()
	_, err := in.Decode(platform.KindCancellations, nil, []byte(b.String()))
	var ve *platform.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "data.K99999" {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}
