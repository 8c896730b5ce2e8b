package woocommerce_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

const (
	ck = "ck_4f1c0000000000000000000000000000000000aa"
	cs = "cs_9b2e0000000000000000000000000000000000bb"
)

func store(t *testing.T) (*wootest.Server, *woocommerce.Client) {
	t.Helper()
	s := wootest.NewServer(ck, cs)
	t.Cleanup(s.Close)
	return s, woocommerce.NewClient(platform.API{BaseURL: s.URL + "/", Timeout: 5 * time.Second}, ck, cs)
}

func cancelled(orderID string, paid bool) platform.Update {
	u := platform.Update{OrderID: orderID, RequestID: "cr-1", State: platform.Cancelled, Version: 2, Reason: "changed_mind", Initiator: platform.Buyer}
	if paid {
		u.Refund = &platform.Refund{Method: platform.OriginalPayment, Amount: "29.35", Currency: "USD"}
	}
	return u
}

func routes(calls []wootest.Call) string {
	var rs []string
	for _, c := range calls {
		rs = append(rs, c.Route)
	}
	return strings.Join(rs, ", ")
}

func TestPushUnpaidCancel(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	if err := c.Push(context.Background(), "k", cancelled("727", false)); err != nil {
		t.Fatal(err)
	}
	calls := s.CallsFor("727")
	if got := routes(calls); got != wootest.UpdateOrder {
		t.Fatalf("calls %s, want only the status PUT", got)
	}
	if !calls[0].AuthOK || calls[0].Body["status"] != "cancelled" || calls[0].Path != "/wp-json/wc/v3/orders/727" {
		t.Fatalf("PUT %+v", calls[0])
	}
	if len(s.Refunds("727")) != 0 || s.Status("727") != "cancelled" {
		t.Fatalf("refunds %v, status %s", s.Refunds("727"), s.Status("727"))
	}
}

func TestPushPaidCancelRefundsOnce(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	u := cancelled("728", true)
	if err := c.Push(context.Background(), "k", u); err != nil {
		t.Fatal(err)
	}
	if got := routes(s.CallsFor("728")); got != "GET refunds, PUT order, POST refunds" {
		t.Fatalf("calls %s", got)
	}
	refunds := s.Refunds("728")
	if len(refunds) != 1 || refunds[0].Amount != "29.35" || refunds[0].Reason != "cancelsync cr-1" || !refunds[0].APIRefund {
		t.Fatalf("refunds %+v", refunds)
	}
	// The same push again (a retry after the answer was lost) refunds nothing more.
	if err := c.Push(context.Background(), "k", u); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Refunds("728")); n != 1 {
		t.Fatalf("%d refunds after a retry", n)
	}
}

// The refund's answer is lost (applied, then 503): the retry finds the
// marker and stops; the order is never refunded twice.
func TestPushLostRefundAnswer(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	s.Fail(wootest.CreateRefund, wootest.Answer{Status: http.StatusServiceUnavailable, Apply: true, Header: wootest.RetryAfter(7 * time.Second)})
	err := c.Push(context.Background(), "k", cancelled("729", true))
	se, ok := errors.AsType[*platform.SyncError](err)
	if !ok || !se.Retryable || se.RetryAfter != 7*time.Second {
		t.Fatalf("first push: %#v", err)
	}
	if err := c.Push(context.Background(), "k", cancelled("729", true)); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Refunds("729")); n != 1 {
		t.Fatalf("%d refunds", n)
	}
	if got := routes(s.CallsFor("729")); got != "GET refunds, PUT order, POST refunds, GET refunds" {
		t.Fatalf("calls %s", got)
	}
}

// A first PUT answered 503 sends no refund; the retry cancels and refunds once.
func TestPushStatus503ThenRetry(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	s.Fail(wootest.UpdateOrder, wootest.Answer{Status: http.StatusServiceUnavailable})
	if err := c.Push(context.Background(), "k", cancelled("730", true)); err == nil {
		t.Fatal("no error on a 503")
	}
	if len(s.Refunds("730")) != 0 {
		t.Fatal("refunded although the status change failed")
	}
	if err := c.Push(context.Background(), "k", cancelled("730", true)); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Refunds("730")); n != 1 || s.Status("730") != "cancelled" {
		t.Fatalf("%d refunds, status %s", n, s.Status("730"))
	}
}

// The marker is searched past the first page of refunds.
func TestPushFindsMarkerOnALaterPage(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	u := cancelled("731", true)
	if err := c.Push(context.Background(), "k", u); err != nil {
		t.Fatal(err)
	}
	// 120 small refunds made by hand afterwards push ours to page 2.
	for i := range 120 {
		s.AddRefund("731", "0.01", "goodwill "+strconv.Itoa(i))
	}
	before := len(s.Refunds("731"))
	if err := c.Push(context.Background(), "k", u); err != nil {
		t.Fatal(err)
	}
	if len(s.Refunds("731")) != before {
		t.Fatal("refunded again: the marker on page 2 was not found")
	}
	if got := routes(s.CallsFor("731")[3:]); got != "GET refunds, GET refunds" {
		t.Fatalf("the retry made %s", got)
	}
}

// What the merchant refunded by hand is not refunded again.
func TestPushRefundsOnlyWhatIsLeft(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	s.AddRefund("732", "10.00", "damaged box")
	if err := c.Push(context.Background(), "k", cancelled("732", true)); err != nil {
		t.Fatal(err)
	}
	if r := s.Refunds("732"); len(r) != 2 || r[0].Amount != "19.35" || r[0].Reason != "cancelsync cr-1" {
		t.Fatalf("refunds %+v", r)
	}
	// Refunded in full by hand (WooCommerce then shows "refunded"): no
	// status change that would undo it, no refund.
	s.AddRefund("733", "20.00", "")
	s.AddRefund("733", "9.35", "")
	if err := c.Push(context.Background(), "k", cancelled("733", true)); err != nil {
		t.Fatal(err)
	}
	if got := routes(s.CallsFor("733")); got != wootest.ListRefunds {
		t.Fatalf("calls %s", got)
	}
	if len(s.Refunds("733")) != 2 {
		t.Fatal("refunded a fully refunded order")
	}
}

func TestPushNotes(t *testing.T) {
	t.Parallel()
	s, c := store(t)
	due := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, u := range []platform.Update{
		{OrderID: "740", RequestID: "cr-1", State: platform.PendingResponse, Version: 1, RespondBy: &due},
		{OrderID: "740", RequestID: "cr-1", State: platform.Denied, Version: 2, DenialReason: platform.Declined},
		{OrderID: "740", RequestID: "cr-1", State: platform.Denied, Version: 2, DenialReason: platform.Declined}, // a retry
		{OrderID: "740", RequestID: "cr-2", State: platform.Escalated, Version: 3},
	} {
		if err := c.Push(context.Background(), "k", u); err != nil {
			t.Fatal(err)
		}
	}
	notes := s.Notes("740")
	if len(notes) != 3 {
		t.Fatalf("notes %+v", notes)
	}
	for _, n := range notes {
		if !n.CustomerNote {
			t.Errorf("note %q is not for the customer", n.Note)
		}
	}
	// Newest first.
	if !strings.Contains(notes[0].Note, "support") || !strings.Contains(notes[1].Note, "declined") || !strings.Contains(notes[2].Note, "2026-11-22 12:00 UTC") {
		t.Fatalf("notes %+v", notes)
	}
	if s.Status("740") != "processing" {
		t.Fatal("a note changed the order's status")
	}
}

func TestPushFailures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		status    int
		retryable bool
	}{
		{"400", http.StatusBadRequest, false},
		{"401", http.StatusUnauthorized, false},
		{"403", http.StatusForbidden, false},
		{"404", http.StatusNotFound, false},
		{"409 (other 4xx)", http.StatusConflict, false},
		{"408", http.StatusRequestTimeout, true},
		{"429", http.StatusTooManyRequests, true},
		{"500", http.StatusInternalServerError, true},
		{"503", http.StatusServiceUnavailable, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, client := store(t)
			s.Fail(wootest.UpdateOrder, wootest.Answer{Status: c.status})
			err := client.Push(context.Background(), "k", cancelled("750", false))
			se, ok := errors.AsType[*platform.SyncError](err)
			if !ok || se.Retryable != c.retryable || !strings.Contains(se.Msg, "PUT /wp-json/wc/v3/orders/750: HTTP ") {
				t.Fatalf("err %#v", err)
			}
		})
	}
	t.Run("wrong keys: permanent, WooCommerce's words, no credential", func(t *testing.T) {
		t.Parallel()
		s, _ := store(t)
		client := woocommerce.NewClient(platform.API{BaseURL: s.URL}, ck, "cs_wrong_secret")
		err := client.Push(context.Background(), "k", cancelled("751", false))
		se, ok := errors.AsType[*platform.SyncError](err)
		if !ok || se.Retryable || !strings.Contains(se.Msg, "woocommerce_rest_cannot_view") || strings.Contains(se.Msg, "cs_wrong_secret") {
			t.Fatalf("err %#v", err)
		}
	})
	t.Run("nothing listening: retryable", func(t *testing.T) {
		t.Parallel()
		s, _ := store(t)
		url := s.URL
		s.Close()
		err := woocommerce.NewClient(platform.API{BaseURL: url}, ck, cs).Push(context.Background(), "k", cancelled("752", false))
		if se, ok := errors.AsType[*platform.SyncError](err); !ok || !se.Retryable {
			t.Fatalf("err %#v", err)
		}
	})
	t.Run("not a WooCommerce order id: permanent", func(t *testing.T) {
		t.Parallel()
		_, client := store(t)
		err := client.Push(context.Background(), "k", cancelled("../727", false))
		if se, ok := errors.AsType[*platform.SyncError](err); !ok || se.Retryable {
			t.Fatalf("err %#v", err)
		}
	})
}

// The client reads the docs' refund list (testdata/SOURCE.md): its two
// refunds carry no cancelsync reason, so a refund is made.
func TestPushReadsDocsRefundList(t *testing.T) {
	t.Parallel()
	list, err := os.ReadFile("testdata/refunds_list_723.json")
	if err != nil {
		t.Fatal(err)
	}
	var posted int
	mux := http.NewServeMux()
	mux.HandleFunc("GET /wp-json/wc/v3/orders/723/refunds", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-WP-TotalPages", "1")
		_, _ = w.Write(list)
	})
	mux.HandleFunc("PUT /wp-json/wc/v3/orders/723", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"id":723,"status":"cancelled"}`))
	})
	mux.HandleFunc("POST /wp-json/wc/v3/orders/723/refunds", func(w http.ResponseWriter, _ *http.Request) {
		posted++
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptestServer(t, mux)
	if err := woocommerce.NewClient(platform.API{BaseURL: srv}, ck, cs).Push(context.Background(), "k", cancelled("723", true)); err != nil {
		t.Fatal(err)
	}
	if posted != 1 {
		t.Fatalf("%d refunds posted", posted)
	}
}
