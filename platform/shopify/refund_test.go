package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

func linesCancelled() platform.Update {
	u := cancelled(platform.Buyer, "changed_mind", platform.OriginalPayment)
	a := "199.00"
	u.Refund.Amount = a
	u.Lines = []platform.Line{{LineID: "866550311766439020", Quantity: 1, RefundAmount: &a}}
	return u
}

const refundKey = "acme-shop:sf-7Q2:3"

// Lines are refunded with Shopify's suggestion, restocked as cancelled,
// under the sync's idempotency key; no orderCancel is sent.
func TestPushLines(t *testing.T) {
	t.Parallel()
	srv, c := fakeShop(t, map[string]any{"policy.notify_customer": false})
	srv.Refunds.SetPrice("866550311766439020", "199.00")
	if err := c.Push(context.Background(), refundKey, linesCancelled()); err != nil {
		t.Fatal(err)
	}
	calls := srv.Calls()
	if len(calls) != 2 || !strings.Contains(calls[0].Query, "suggestedRefund") || !strings.Contains(calls[1].Query, `refundCreate(input: $input) @idempotent(key: "acme-shop:sf-7Q2:3")`) {
		t.Fatalf("calls %+v", calls)
	}
	if got, want := string(calls[0].Variables["refundLineItems"]), `[{"lineItemId":"gid://shopify/LineItem/866550311766439020","quantity":1,"restockType":"CANCEL"}]`; got != want {
		t.Errorf("suggested lines %s, want %s", got, want)
	}
	var in map[string]any
	if err := json.Unmarshal(calls[1].Variables["input"], &in); err != nil {
		t.Fatal(err)
	}
	if in["notify"] != false || in["note"] != "cancelsync sf-7Q2 v3" || in["orderId"] != "gid://shopify/Order/820982911946154508" {
		t.Errorf("input %s", calls[1].Variables["input"])
	}
	if got, want := jsonString(t, in["transactions"]), `[{"amount":"199.00","gateway":"bogus","kind":"REFUND","orderId":"gid://shopify/Order/820982911946154508","parentId":"gid://shopify/OrderTransaction/389404469"}]`; got != want {
		t.Errorf("transactions %s, want %s", got, want)
	}
	if made := srv.Refunds.Made(); len(made) != 1 || made[0].Amount != "199.00" || made[0].Lines[0].RestockType != "CANCEL" {
		t.Errorf("refunds %+v", made)
	}
}

// The refund's answer is lost twice (a 500, then a dropped connection):
// each retry carries the same key, and the fake, as Shopify, makes one
// refund.
func TestPushLinesLostAnswers(t *testing.T) {
	t.Parallel()
	srv, c := fakeShop(t, nil)
	srv.Refunds.LoseAnswers(shopifytest.Answer500, shopifytest.DropConnection)
	for i, wantRetry := range []bool{true, true, false} {
		err := c.Push(context.Background(), refundKey, linesCancelled())
		se, isSync := errors.AsType[*platform.SyncError](err)
		switch {
		case wantRetry && (!isSync || !se.Retryable):
			t.Fatalf("attempt %d: %v, want a retryable failure", i, err)
		case !wantRetry && err != nil:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if made := srv.Refunds.Made(); len(made) != 1 {
		t.Fatalf("%d refunds made, want 1: %+v", len(made), made)
	}
	// Another version is another refund.
	if err := c.Push(context.Background(), "acme-shop:sf-8:4", linesCancelled()); err != nil {
		t.Fatal(err)
	}
	if made := srv.Refunds.Made(); len(made) != 2 {
		t.Fatalf("%d refunds made, want 2", len(made))
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
