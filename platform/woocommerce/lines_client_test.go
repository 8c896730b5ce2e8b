package woocommerce_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

// linesCancelled cancels line 315 (2 × 3.00) of the docs' order 727.
func linesCancelled() platform.Update {
	u := cancelled("727", true)
	a := "6.00"
	u.Refund.Amount = a
	u.Lines = []platform.Line{{LineID: "315", Quantity: 2, RefundAmount: &a}}
	return u
}

// Lines are one refund with line_items, restocked and through the
// gateway; the order's status is left alone.
func TestPushLines(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	if err := c.Push(context.Background(), "k", linesCancelled()); err != nil {
		t.Fatal(err)
	}
	if got, want := routes(s.CallsFor("727")), "GET refunds, POST refunds"; got != want {
		t.Fatalf("calls %s, want %s", got, want)
	}
	body, _ := json.Marshal(s.CallsFor("727")[1].Body)
	if want := `{"amount":"6.00","api_refund":true,"api_restock":true,"line_items":[{"id":315,"quantity":2,"refund_total":6}],"reason":"cancelsync cr-1 v2"}`; string(body) != want {
		t.Errorf("refund %s\nwant   %s", body, want)
	}
	if s.Status("727") != "processing" {
		t.Errorf("status %q: a line cancel leaves the order open", s.Status("727"))
	}
}

// The refund is made and its answer lost (500): the retry finds it by its
// reason and refunds nothing more.
func TestPushLinesLostAnswer(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	s.Fail(wootest.CreateRefund, wootest.Answer{Status: http.StatusInternalServerError, Apply: true})
	if err := c.Push(context.Background(), "k", linesCancelled()); err == nil {
		t.Fatal("the lost answer was taken as success")
	}
	if err := c.Push(context.Background(), "k", linesCancelled()); err != nil {
		t.Fatal(err)
	}
	if rs := s.Refunds("727"); len(rs) != 1 || rs[0].Amount != "6.00" || !rs[0].APIRestock || len(rs[0].LineItems) != 1 {
		t.Fatalf("refunds %+v, want one", rs)
	}
	// The next request's lines are a refund of their own.
	u := linesCancelled()
	u.RequestID, u.Version = "cr-2", 3
	if err := c.Push(context.Background(), "k", u); err != nil {
		t.Fatal(err)
	}
	if rs := s.Refunds("727"); len(rs) != 2 {
		t.Fatalf("%d refunds, want 2", len(rs))
	}
}

// A whole-order cancel after a line cancel: the update's amount is what is
// left after cancelsync's own line refund already, so that refund is not
// subtracted again; a refund the merchant made by hand still is.
func TestPushWholeAfterLines(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	a := "30.00"
	line := cancelled("760", true)
	line.Refund.Amount = a
	line.Lines = []platform.Line{{LineID: "401", Quantity: 1, RefundAmount: &a}}
	if err := c.Push(context.Background(), "k", line); err != nil {
		t.Fatal(err)
	}
	whole := cancelled("760", true)
	whole.RequestID, whole.Version = "cr-2", 3
	whole.Refund.Amount = "70.00"
	if err := c.Push(context.Background(), "k", whole); err != nil {
		t.Fatal(err)
	}
	var posted []any
	for _, call := range s.CallsFor("760") {
		if call.Route == wootest.CreateRefund {
			posted = append(posted, call.Body["amount"])
		}
	}
	if len(posted) != 2 || posted[0] != "30.00" || posted[1] != "70.00" {
		t.Fatalf("refunds posted %v, want [30.00 70.00]", posted)
	}
	if s.Status("760") != "cancelled" {
		t.Errorf("status %q", s.Status("760"))
	}

	// With 5.00 refunded by hand as well, 65.00 is left to refund.
	if err := c.Push(context.Background(), "k", func() platform.Update { u := line; u.OrderID = "761"; return u }()); err != nil {
		t.Fatal(err)
	}
	s.AddRefund("761", "5.00", "goodwill")
	whole.OrderID = "761"
	if err := c.Push(context.Background(), "k", whole); err != nil {
		t.Fatal(err)
	}
	if rs := s.Refunds("761"); len(rs) != 3 || rs[0].Amount != "65.00" || rs[0].Reason != "cancelsync cr-2" {
		t.Fatalf("refunds %+v, want 65.00 last", rs)
	}
}
