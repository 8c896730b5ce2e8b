package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

const testToken = "shpat_0123456789abcdef0123456789abcdef"

// fakeShop is a client of a scripted store; opts are policy keys of the
// adapter's block ("policy.restock": false).
func fakeShop(t *testing.T, opts map[string]any, answers ...shopifytest.Answer) (*shopifytest.Server, platform.Client) {
	t.Helper()
	srv := shopifytest.NewServer()
	t.Cleanup(srv.Close)
	srv.Script(answers...)
	block := map[string]any{"api.version": "2026-01"}
	for k, v := range opts {
		block[k] = v
	}
	c := shopify.NewClient(platform.Settings{
		API:   platform.API{BaseURL: srv.URL + "/", Token: testToken, Timeout: 2 * time.Second},
		Block: platform.BlockOf(block),
	})
	return srv, c
}

func cancelled(initiator platform.Party, reason string, method platform.RefundMethod) platform.Update {
	return platform.Update{
		OrderID: "820982911946154508", RequestID: "sf-7Q2", State: platform.Cancelled, Version: 3, Reason: reason,
		Refund: &platform.Refund{Method: method, Amount: "388.00", Currency: "USD"}, Initiator: initiator,
	}
}

// The mutation carries the variables of docs/SHOPIFY.md's table, and nothing but
// cancelled is sent.
func TestPushVariables(t *testing.T) {
	t.Parallel()
	no := false
	tests := []struct {
		name string
		opts map[string]any
		u    platform.Update
		want string
	}{
		{"buyer, original payment", nil, cancelled(platform.Buyer, "changed_mind", platform.OriginalPayment),
			`{"notifyCustomer":true,"orderId":"gid://shopify/Order/820982911946154508","reason":"CUSTOMER","refundMethod":{"originalPaymentMethodsRefund":true},"restock":true,"staffNote":"cancelsync sf-7Q2 v3"}`},
		{"merchant, store credit, no restock or notice", map[string]any{"policy.restock": no, "policy.notify_customer": no}, cancelled(platform.Merchant, "other", platform.PlatformCredit),
			`{"notifyCustomer":false,"orderId":"gid://shopify/Order/820982911946154508","reason":"OTHER","refundMethod":{"storeCreditRefund":{"expiresAt":null}},"restock":false,"staffNote":"cancelsync sf-7Q2 v3"}`},
		{"seller is the merchant", nil, cancelled(platform.Seller, "changed_mind", platform.OriginalPayment),
			`{"notifyCustomer":true,"orderId":"gid://shopify/Order/820982911946154508","reason":"OTHER","refundMethod":{"originalPaymentMethodsRefund":true},"restock":true,"staffNote":"cancelsync sf-7Q2 v3"}`},
		{"payment_issue is DECLINED", nil, cancelled(platform.Buyer, "payment_issue", platform.OriginalPayment),
			`{"notifyCustomer":true,"orderId":"gid://shopify/Order/820982911946154508","reason":"DECLINED","refundMethod":{"originalPaymentMethodsRefund":true},"restock":true,"staffNote":"cancelsync sf-7Q2 v3"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := fakeShop(t, tt.opts)
			if err := c.Push(context.Background(), "acme:sf-7Q2:3", tt.u); err != nil {
				t.Fatal(err)
			}
			calls := srv.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls, want 1", len(calls))
			}
			call := calls[0]
			if call.Path != "/admin/api/2026-01/graphql.json" || call.Token != testToken || !strings.Contains(call.Query, "orderCancel(orderId: $orderId") {
				t.Errorf("call = %s %q %q", call.Path, call.Token, call.Query)
			}
			got, _ := json.Marshal(call.Variables)
			if string(got) != tt.want {
				t.Errorf("variables = %s\nwant        %s", got, tt.want)
			}
		})
	}
}

func TestPushSkipsOtherStates(t *testing.T) {
	t.Parallel()
	srv, c := fakeShop(t, nil)
	for _, s := range []platform.State{platform.Denied, platform.Withdrawn, platform.PendingResponse, platform.Escalated} {
		u := cancelled(platform.Buyer, "other", platform.OriginalPayment)
		u.State, u.Refund = s, nil
		if err := c.Push(context.Background(), "k", u); !errors.Is(err, platform.ErrNothingToSend) {
			t.Errorf("%s: %v, want ErrNothingToSend", s, err)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls, want none", n)
	}
}

// Shopify answers business failures with HTTP 200: the body decides.
func TestPushOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		answer     shopifytest.Answer
		wantErr    bool
		retryable  bool
		retryAfter time.Duration
		msg        string
	}{
		{name: "job", answer: shopifytest.JobAnswer},
		{name: "already been canceled", answer: shopifytest.AlreadyCancelledAnswer},
		{name: "outstanding fulfillments", answer: shopifytest.OutstandingFulfillmentsAnswer, wantErr: true,
			msg: "orderCancel: Cannot cancel an order with outstanding fulfillments."},
		{name: "not found as a user error", answer: shopifytest.UserError("Order does not exist", "NOT_FOUND"), wantErr: true, msg: "orderCancel: Order does not exist"},
		{name: "throttled: wait for the bucket", answer: shopifytest.ThrottledAnswer, wantErr: true, retryable: true, retryAfter: time.Second,
			msg: "orderCancel: THROTTLED: Throttled"},
		{name: "429 with Retry-After", answer: shopifytest.Answer{Status: 429, Header: http.Header{"Retry-After": {"4"}}, Body: `{"errors":"Exceeded 2 calls per second"}`},
			wantErr: true, retryable: true, retryAfter: 4 * time.Second, msg: "HTTP 429: Too Many Requests"},
		{name: "503", answer: shopifytest.Answer{Status: 503}, wantErr: true, retryable: true, msg: "HTTP 503: Service Unavailable"},
		{name: "401", answer: shopifytest.Answer{Status: 401, Body: `{"errors":"[API] Invalid API key or access token"}`}, wantErr: true, msg: "HTTP 401: Unauthorized"},
		{name: "403", answer: shopifytest.Answer{Status: 403}, wantErr: true, msg: "HTTP 403: Forbidden"},
		{name: "404", answer: shopifytest.Answer{Status: 404}, wantErr: true, msg: "HTTP 404: Not Found"},
		{name: "access denied", answer: shopifytest.Answer{Body: `{"errors":[{"message":"Access denied for orderCancel field.","extensions":{"code":"ACCESS_DENIED"}}]}`},
			wantErr: true, msg: "orderCancel: ACCESS_DENIED: Access denied for orderCancel field."},
		{name: "neither job nor error", answer: shopifytest.Answer{Body: `{"data":{"orderCancel":{"job":null,"orderCancelUserErrors":[],"userErrors":[]}}}`},
			wantErr: true, msg: "orderCancel: answer has neither a job nor an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := fakeShop(t, nil, tt.answer)
			err := c.Push(context.Background(), "k", cancelled(platform.Buyer, "changed_mind", platform.OriginalPayment))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Push = %v, want nil", err)
				}
				return
			}
			var se *platform.SyncError
			if !errors.As(err, &se) {
				t.Fatalf("Push = %v, want a *SyncError", err)
			}
			if se.Retryable != tt.retryable || se.RetryAfter != tt.retryAfter || se.Msg != tt.msg {
				t.Errorf("SyncError = %+v, want retryable %v after %v, %q", *se, tt.retryable, tt.retryAfter, tt.msg)
			}
			if strings.Contains(se.Msg, testToken) {
				t.Errorf("message leaks the token: %s", se.Msg)
			}
		})
	}
}

// No answer (a timeout, a refused connection) is retried, and the message
// names api.timeout but never the token.
func TestPushWithoutAnswer(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets the handler return

	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close()
	for name, base := range map[string]string{"timeout": hang.URL, "refused": refused.URL} {
		c := shopify.NewClient(platform.Settings{API: platform.API{BaseURL: base, Token: testToken, Timeout: 200 * time.Millisecond}})
		err := c.Push(context.Background(), "k", cancelled(platform.Buyer, "other", platform.OriginalPayment))
		var se *platform.SyncError
		if !errors.As(err, &se) || !se.Retryable || strings.Contains(se.Msg, testToken) {
			t.Fatalf("%s: %v, want retryable", name, err)
		}
		if name == "timeout" && !strings.Contains(se.Msg, "api.timeout") {
			t.Errorf("timeout message %q does not name api.timeout", se.Msg)
		}
	}
}
