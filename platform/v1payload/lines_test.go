package v1payload_test

import (
	"errors"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1payload"
)

// TestDecodeLines: a request may name lines (docs/API.md, "Cancelling some
// lines"); each problem is named by its field.
func TestDecodeLines(t *testing.T) {
	t.Parallel()
	dec := v1payload.NewDecoder()
	lines := func(v any) []byte {
		return edited(t, cancellationExample, func(_, data map[string]any) { data["lines"] = v })
	}
	tests := []struct {
		name  string
		body  []byte
		field string // "" when valid
	}{
		{"two lines", lines([]any{map[string]any{"line_id": "866550311766439020", "quantity": 1}, map[string]any{"line_id": "316", "quantity": 2}}), ""},
		{"empty list", lines([]any{}), "data.lines"},
		{"null is the whole order", lines(nil), ""},
		{"no quantity", lines([]any{map[string]any{"line_id": "a"}}), "data.lines[0].quantity"},
		{"zero", lines([]any{map[string]any{"line_id": "a", "quantity": 0}}), "data.lines[0].quantity"},
		{"bad id", lines([]any{map[string]any{"line_id": "a b", "quantity": 1}}), "data.lines[0].line_id"},
		{"repeated", lines([]any{map[string]any{"line_id": "a", "quantity": 1}, map[string]any{"line_id": "a", "quantity": 1}}), "data.lines[1].line_id"},
	}
	for _, tt := range tests {
		ev, err := dec.Decode(platform.KindCancellations, nil, tt.body)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		ve, ok := errors.AsType[*platform.ValidationError](err)
		if !ok || ve.Errors[0].Field != tt.field {
			t.Errorf("%s: got %v (%+v), want a problem with %s", tt.name, err, ev, tt.field)
		}
	}
	ev, err := dec.Decode(platform.KindCancellations, nil, lines([]any{map[string]any{"line_id": "316", "quantity": 2}}))
	if err != nil || len(ev.Cancellation.Lines) != 1 || ev.Cancellation.Lines[0] != (platform.LineRequest{LineID: "316", Quantity: 2}) {
		t.Fatalf("decoded %+v, %v", ev.Cancellation, err)
	}
}

func TestDecodeItemLines(t *testing.T) {
	t.Parallel()
	dec := v1payload.NewDecoder()
	items := func(v ...map[string]any) []byte {
		return edited(t, orderExample, func(_, data map[string]any) {
			list := make([]any, len(v))
			for i := range v {
				list[i] = v[i]
			}
			data["items"] = list
		})
	}
	it := func(id string, q, f int) map[string]any {
		return map[string]any{"sku": "S", "quantity": q, "price": "1.00", "line_id": id, "fulfilled_quantity": f}
	}
	ev, err := dec.Decode(platform.KindOrders, nil, items(it("l1", 2, 1), it("l2", 1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Order.Items[0]; got.LineID != "l1" || got.Fulfilled != 1 {
		t.Fatalf("item %+v", got)
	}
	for name, body := range map[string][]byte{
		"data.items[0].fulfilled_quantity": items(it("l1", 2, 3)),
		"data.items[1].line_id":            items(it("l1", 2, 0), it("l1", 1, 0)),
	} {
		_, err := dec.Decode(platform.KindOrders, nil, body)
		if ve, ok := errors.AsType[*platform.ValidationError](err); !ok || ve.Errors[0].Field != name {
			t.Errorf("want a problem with %s, got %v", name, err)
		}
	}
}
