package v1payload_test

import (
	"errors"
	"reflect"
	"strings"
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

// TestDecodeItemLineRules pins every problem reported, in order, for the
// line fields of items, alone and beside other fields' problems: a line
// rule is a field rule like the others, and the checks across items
// (repeated line_id, more fulfilled than ordered) are only made once every
// field rule holds.
func TestDecodeItemLineRules(t *testing.T) {
	t.Parallel()
	dec := v1payload.NewDecoder()
	const identMsg = "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -, and not . or .."
	items := func(edit func(data map[string]any), v ...map[string]any) []byte {
		return edited(t, orderExample, func(_, data map[string]any) {
			list := make([]any, len(v))
			for i := range v {
				list[i] = v[i]
			}
			data["items"] = list
			if edit != nil {
				edit(data)
			}
		})
	}
	it := func(id string, q, f int) map[string]any {
		return map[string]any{"sku": "S", "quantity": q, "price": "1.00", "line_id": id, "fulfilled_quantity": f}
	}
	many := make([]map[string]any, 12)
	for i := range many {
		many[i] = it("l"+string(rune('a'+i)), 1, 0)
	}
	many[2]["line_id"], many[10]["fulfilled_quantity"], many[11]["line_id"] = "..", -1, "x y"
	delete(many[10], "sku")
	tests := []struct {
		name string
		body []byte
		want []platform.FieldError
	}{
		{"bad line_id", items(nil, it("a b", 1, 0)), []platform.FieldError{{Field: "data.items[0].line_id", Message: identMsg}}},
		{"line_id too long", items(nil, it(strings.Repeat("a", 129), 1, 0)), []platform.FieldError{{Field: "data.items[0].line_id", Message: identMsg}}},
		{"negative fulfilled", items(nil, it("a", 1, -1)), []platform.FieldError{{Field: "data.items[0].fulfilled_quantity", Message: "must be at least 0"}}},
		{"both", items(nil, it("..", 1, -2)), []platform.FieldError{
			{Field: "data.items[0].fulfilled_quantity", Message: "must be at least 0"},
			{Field: "data.items[0].line_id", Message: identMsg},
		}},
		{"field rules before checks across items", items(nil, it("a b", 1, 2), it("a b", 1, 0)), []platform.FieldError{
			{Field: "data.items[0].line_id", Message: identMsg},
			{Field: "data.items[1].line_id", Message: identMsg},
		}},
		{"no quantity, more fulfilled", items(nil, map[string]any{"sku": "S", "price": "1.00", "line_id": "a", "fulfilled_quantity": 3}), []platform.FieldError{
			{Field: "data.items[0].quantity", Message: "is required"},
		}},
		{"beside other fields", items(func(data map[string]any) { data["order_id"] = "a b"; data["status"] = "lost" },
			map[string]any{"quantity": 0, "price": "1.005", "line_id": "a/b", "fulfilled_quantity": -1}, it("ok", 1, 1)), []platform.FieldError{
			{Field: "data.items[0].fulfilled_quantity", Message: "must be at least 0"},
			{Field: "data.items[0].line_id", Message: identMsg},
			{Field: "data.items[0].price", Message: "must be a decimal string with at most 2 decimals for USD"},
			{Field: "data.items[0].quantity", Message: "must be at least 1"},
			{Field: "data.items[0].sku", Message: "is required"},
			{Field: "data.order_id", Message: identMsg},
			{Field: "data.status", Message: "must be one of: placed paid shipped delivered completed cancelled"},
		}},
		{"sorted by field", items(nil, many...), []platform.FieldError{
			{Field: "data.items[10].fulfilled_quantity", Message: "must be at least 0"},
			{Field: "data.items[10].sku", Message: "is required"},
			{Field: "data.items[11].line_id", Message: identMsg},
			{Field: "data.items[2].line_id", Message: identMsg},
		}},
		{"checks across items", items(nil, it("a", 1, 2), it("b", 2, 2), it("a", 3, 4), it("", 1, 0), it("", 1, 0)), []platform.FieldError{
			{Field: "data.items[0].fulfilled_quantity", Message: "must be at most quantity"},
			{Field: "data.items[2].fulfilled_quantity", Message: "must be at most quantity"},
			{Field: "data.items[2].line_id", Message: "must not repeat another item's line_id"},
		}},
	}
	for _, tt := range tests {
		ev, err := dec.Decode(platform.KindOrders, nil, tt.body)
		ve, ok := errors.AsType[*platform.ValidationError](err)
		if !ok || ev.Order != nil {
			t.Errorf("%s: Decode = %+v, %v; want a *ValidationError", tt.name, ev, err)
			continue
		}
		if !reflect.DeepEqual(ve.Errors, tt.want) {
			t.Errorf("%s: errors =\n%q\nwant\n%q", tt.name, ve.Errors, tt.want)
		}
	}
}
