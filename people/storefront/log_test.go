package storefront

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cancelsync/cancelsync/platform"
)

// Every storefront request is logged at info with its status and, when
// refused, why: the buyer's answer stays the one vague 401 or 404, and no
// token reaches the log.
func TestRequestsAreLoggedWithTheReason(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "self", "o-guest", "guest", platform.StatusPaid, r.now.Add(-time.Hour))

	expired := token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": r.now.Add(-time.Hour).Unix()})
	wrongKey := token(t, "not-a-configured-key-0123456789ab", jwt.MapClaims{"sub": "b-1", "exp": r.now.Add(time.Minute).Unix()})
	tests := []struct {
		name, adapter, order, tok string
		status                    int
		reason                    string // "" : none logged
	}{
		{"the buyer's own order", "self", "o-1", r.buyerToken(t, "b-1"), 200, ""},
		{"no token", "self", "o-1", "", 401, "no_token"},
		{"not a token", "self", "o-1", "garbage", 401, "token_invalid"},
		{"expired token", "self", "o-1", expired, 401, "token_expired"},
		{"token signed with another key", "self", "o-1", wrongKey, 401, "token_signature_mismatch"},
		{"adapter without storefront_secrets", "nokeys", "o-1", r.buyerToken(t, "b-1"), 404, "no_storefront_keys"},
		{"unknown adapter", "nosuch", "o-1", r.buyerToken(t, "b-1"), 404, "unknown_adapter"},
		{"unknown order", "self", "o-none", r.buyerToken(t, "b-1"), 404, "unknown_order"},
		{"another buyer's order", "self", "o-1", r.buyerToken(t, "b-2"), 404, "not_this_buyers_order"},
		{"a guest's order", "self", "o-guest", r.buyerToken(t, "guest"), 404, "guest_order"},
	}
	for _, tc := range tests {
		before := len(r.logs.String())
		a := r.do(t, r.router, "GET", path(tc.adapter, tc.order), tc.tok, "", nil)
		if a.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, a.status, a.raw, tc.status)
		}
		if tc.reason != "" && strings.Contains(a.raw, tc.reason) {
			t.Errorf("%s: the answer tells the reason: %s", tc.name, a.raw)
		}
		line := strings.TrimSpace(r.logs.String()[before:])
		var rec struct {
			Level, Msg, Method, Route, Adapter, Reason string
			OrderID                                    string `json:"order_id"`
			Status                                     int
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: log %q: %v", tc.name, line, err)
		}
		if rec.Level != "INFO" || rec.Msg != "storefront" || rec.Method != "GET" || rec.Route != Path ||
			rec.Adapter != tc.adapter || rec.OrderID != tc.order || rec.Status != tc.status || rec.Reason != tc.reason {
			t.Errorf("%s: log line %s, want status %d reason %q", tc.name, line, tc.status, tc.reason)
		}
		if tc.tok != "" && strings.Contains(line, tc.tok) {
			t.Errorf("%s: the log carries the token: %s", tc.name, line)
		}
	}
	for _, secret := range []string{keyA, keyB, "Bearer"} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the log carries %q", secret)
		}
	}
}

// A refused cancellation names its reason in the log too: lines sent to a
// platform that cancels whole orders, an Idempotency-Key reused with
// another body.
func TestRefusedPostsAreLoggedWithTheReason(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.lineOrder(t, "self", "o-l")
	r.lineOrder(t, "posh", "o-p")
	tok := r.buyerToken(t, "b-1")
	reasonOf := func(before int) string {
		var rec struct{ Reason string }
		line := strings.TrimSpace(r.logs.String()[before:])
		if err := json.Unmarshal([]byte(line[strings.LastIndexByte(line, '\n')+1:]), &rec); err != nil {
			t.Fatalf("log %q: %v", line, err)
		}
		return rec.Reason
	}
	before := len(r.logs.String())
	if a := r.do(t, r.router, "POST", path("posh", "o-p"), tok, `{"reason":"changed_mind","lines":[{"line_id":"la","quantity":1}]}`, nil); a.status != 400 {
		t.Fatalf("lines on poshmark: %d %s", a.status, a.raw)
	}
	if got := reasonOf(before); got != "lines_not_supported" {
		t.Errorf("lines on poshmark logged reason %q", got)
	}
	key := map[string]string{"Idempotency-Key": "k-reused-1"}
	if a := r.do(t, r.router, "POST", path("self", "o-l"), tok, `{"reason":"changed_mind"}`, key); a.status != 202 {
		t.Fatalf("first post: %d %s", a.status, a.raw)
	}
	before = len(r.logs.String())
	if a := r.do(t, r.router, "POST", path("self", "o-l"), tok, `{"reason":"other"}`, key); a.status != 422 {
		t.Fatalf("reused key: %d %s", a.status, a.raw)
	}
	if got := reasonOf(before); got != "idempotency_key_reused" {
		t.Errorf("reused key logged reason %q", got)
	}
}
