package v1payload_test

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1payload"
)

// FuzzDecodeOrder feeds arbitrary bodies to the orders endpoint: the answer
// is either an order that keeps the field rules or a *ValidationError.
func FuzzDecodeOrder(f *testing.F) {
	f.Add([]byte(orderExample))
	f.Add([]byte(strings.Replace(orderExample, `"quantity": 1`, `"quantity": "1"`, 1)))
	f.Add([]byte(strings.Replace(orderExample, `"USD"`, `"JPY"`, 1)))
	f.Add([]byte(`{"type":"order.updated","data":{"items":[{},5,{"quantity":1e99}]}}`))
	f.Add([]byte(cancellationExample))
	f.Add([]byte(`{"type":"order.created","data":{}} {}`))
	in := v1payload.NewDecoder()
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := in.Decode(platform.KindOrders, nil, body)
		if err != nil {
			checkValidationError(t, ev, err)
			return
		}
		o := ev.Order
		if o == nil || ev.Cancellation != nil || (ev.Type != platform.OrderCreated && ev.Type != platform.OrderUpdated) {
			t.Fatalf("event %+v", ev)
		}
		for _, id := range []string{o.ID, o.BuyerID, o.SellerID} {
			checkIdent(t, id)
		}
		if o.PlacedAt.IsZero() || o.UpdatedAt.IsZero() || len(o.Total.Currency) != 3 || !isDecimal(o.Total.Amount) {
			t.Fatalf("order %+v", o)
		}
		for _, it := range o.Items {
			if it.SKU == "" || it.Quantity < 1 || !isDecimal(it.Price) {
				t.Fatalf("item %+v", it)
			}
		}
		if _, err := json.Marshal(ev); err != nil {
			t.Fatalf("event does not marshal: %v", err)
		}
	})
}

// FuzzDecodeCancellation does the same for the cancellations endpoint.
func FuzzDecodeCancellation(f *testing.F) {
	f.Add([]byte(cancellationExample))
	f.Add([]byte(`{"type":"cancellation.responded","data":{"order_id":"o1","request_id":"r1","decision":"accept","responder":"buyer","occurred_at":"2026-11-20T11:00:00Z"}}`))
	f.Add([]byte(`{"type":"cancellation.withdrawn","data":{"order_id":"o1","request_id":"r1","occurred_at":"2026-11-20T11:00:00+05:30","reason":7}}`))
	f.Add([]byte(`{"type":"cancellation.requested","data":[1]}`))
	f.Add([]byte(orderExample))
	in := v1payload.NewDecoder()
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := in.Decode(platform.KindCancellations, nil, body)
		if err != nil {
			checkValidationError(t, ev, err)
			return
		}
		c := ev.Cancellation
		if c == nil || ev.Order != nil || c.Type != ev.Type || c.OccurredAt.IsZero() {
			t.Fatalf("event %+v", ev)
		}
		checkIdent(t, c.OrderID)
		checkIdent(t, c.RequestID)
		switch c.Type {
		case platform.CancellationRequested:
			if c.Initiator == "" || c.Reason == "" || utf8.RuneCountInString(c.Comments) > 1000 {
				t.Fatalf("request %+v", c)
			}
		case platform.CancellationResponded:
			if (c.Decision != platform.Accept && c.Decision != platform.Decline) || (c.Responder != platform.Buyer && c.Responder != platform.Seller) {
				t.Fatalf("response %+v", c)
			}
		case platform.CancellationWithdrawn:
			if c.Initiator != "" || c.Reason != "" || c.Comments != "" || c.Decision != "" || c.Responder != "" {
				t.Fatalf("withdrawal %+v", c)
			}
		default:
			t.Fatalf("type %q", c.Type)
		}
	})
}

func checkValidationError(t *testing.T, ev platform.Event, err error) {
	t.Helper()
	var ve *platform.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) == 0 {
		t.Fatalf("error %#v is not a non-empty *ValidationError", err)
	}
	if ev.Order != nil || ev.Cancellation != nil {
		t.Fatalf("event %+v returned with an error", ev)
	}
	for _, fe := range ve.Errors {
		if fe.Field == "" || fe.Message == "" || !utf8.ValidString(fe.Message) {
			t.Fatalf("field error %+v", fe)
		}
	}
	if !sort.SliceIsSorted(ve.Errors, func(i, j int) bool { return ve.Errors[i].Field < ve.Errors[j].Field }) {
		t.Fatalf("errors not sorted: %+v", ve.Errors)
	}
}

func checkIdent(t *testing.T, id string) {
	t.Helper()
	if id == "" || len(id) > 128 || strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != "" {
		t.Fatalf("identifier %q breaks the rule", id)
	}
}

func isDecimal(s string) bool {
	whole, frac, dotted := strings.Cut(s, ".")
	digits := func(p string) bool { return p != "" && strings.Trim(p, "0123456789") == "" }
	return digits(whole) && (!dotted || digits(frac))
}
