package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestConsoleTwinsOnTheBinary calls every JSON twin of the console and its
// pages on the real binary, with the admin token and a merchant token, and
// holds every answer to docs/openapi.yaml (the validating transport): the
// success bodies, the 400s, the 401s, the cross-adapter 404s and the pages'
// redirects and refusals.
func TestConsoleTwinsOnTheBinary(t *testing.T) {
	t.Parallel()
	consoleTwins(t, single)
}

func consoleTwins(t *testing.T, rb redisBackend) {
	r := newRigOn(t, rb(t), func(n int, p put, h http.Header) int {
		if p.OrderID == "T-4" {
			return http.StatusUnprocessableEntity // permanent: a dead letter at once
		}
		return http.StatusOK
	}, "",
		adapterConf{id: "tw-ali", platform: "aliexpress", extra: "    merchant_tokens: [\"tok-tw-ali\"]\n"},
		adapterConf{id: "tw-other", platform: "selfservice", extra: "    merchant_tokens: [\"tok-tw-other\"]\n"},
	)
	s := r.serve(t)
	defer checkAgainstOpenAPI(t, s.url)
	now := time.Now().UTC().Truncate(time.Second)
	for _, id := range []string{"T-1", "T-2", "T-4"} {
		s.accept(t, "tw-ali", "orders", orderBody(id, "paid", now.Add(-time.Hour), now, nil))
	}
	s.accept(t, "tw-ali", "cancellations", requestBody("T-1", "cr-t1", "buyer", now))
	s.accept(t, "tw-ali", "cancellations", requestBody("T-4", "cr-t4", "seller", now))
	s.waitFor(t, "tw-ali", "T-1", "pending", stateIs("pending_response", "synced"))
	s.waitFor(t, "tw-ali", "T-4", "sync failed", stateIs("cancelled", "failed"))

	call := func(method, path, token string, body any, hdr ...string) (int, map[string]any) {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, s.url+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return do(t, req)
	}
	want := func(what string, got, code int, v map[string]any) {
		t.Helper()
		if got != code {
			t.Errorf("%s: %d %v, want %d", what, got, v, code)
		}
	}

	// The list of adapters: what the token sees.
	code, v := call("GET", "/v1/adapters", "tok-tw-ali", nil)
	want("adapters (merchant)", code, 200, v)
	if as, _ := v["adapters"].([]any); len(as) != 1 {
		t.Errorf("a merchant token sees %v, want its adapter only", v)
	}
	code, v = call("GET", "/v1/adapters", adminToken, nil)
	want("adapters (admin)", code, 200, v)
	code, v = call("GET", "/v1/adapters", "", nil)
	want("adapters (no token)", code, 401, v)

	// Reads, for both tokens.
	for _, tok := range []string{adminToken, "tok-tw-ali"} {
		for _, p := range []string{"/stats", "/stats?days=30", "/dashboard", "/dashboard?since=2026-01-01&until=" + now.Format(time.DateOnly),
			"/cancellations", "/cancellations?state=pending_response&initiator=buyer&limit=1", "/dead-letters"} {
			code, v = call("GET", "/v1/adapters/tw-ali"+p, tok, nil)
			want(p, code, 200, v)
		}
	}
	code, v = call("GET", "/v1/adapters/tw-ali/stats", adminToken, nil)
	if code != 200 || v["orders_seen"] != float64(3) {
		t.Errorf("stats: %d %v, want 200 and 3 orders seen", code, v)
	}
	// Bad parameters, another adapter, no token.
	for _, p := range []string{"/stats?days=0", "/dashboard?since=yesterday", "/cancellations?state=lost", "/cancellations?cursor=nope", "/cancellations?limit=500"} {
		code, v = call("GET", "/v1/adapters/tw-ali"+p, adminToken, nil)
		want(p, code, 400, v)
	}
	for _, p := range []string{"/v1/adapters/tw-other/stats", "/v1/adapters/tw-other/dashboard", "/v1/adapters/tw-other/dead-letters", "/v1/adapters/nope/cancellations"} {
		code, v = call("GET", p, "tok-tw-ali", nil)
		want(p+" (other adapter)", code, 404, v)
	}
	code, v = call("GET", "/v1/adapters/tw-ali/stats", "wrong", nil)
	want("stats (wrong token)", code, 401, v)

	// Actions: answer, cancel (with a repeat), replay.
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-1/responses", "tok-tw-ali", map[string]any{"request_id": "cr-t1", "decision": "accept"})
	want("responses", code, 202, v)
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-1/responses", "tok-tw-ali", map[string]any{"request_id": "cr-t1", "decision": "maybe"})
	want("responses (bad decision)", code, 400, v)
	code, v = call("POST", "/v1/adapters/tw-other/orders/T-1/responses", "tok-tw-ali", map[string]any{"request_id": "cr-t1", "decision": "accept"})
	want("responses (other adapter)", code, 404, v)
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-2/cancellations", "tok-tw-ali", map[string]any{"reason": "other"}, "Idempotency-Key", "k-1")
	want("cancellations", code, 202, v)
	if id, _ := v["request_id"].(string); !strings.HasPrefix(id, "mc-") {
		t.Errorf("merchant cancellation id %v, want mc-…", v)
	}
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-2/cancellations", "tok-tw-ali", map[string]any{"reason": "other"}, "Idempotency-Key", "k-1")
	want("cancellations (repeat)", code, 200, v)
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-1/cancellations", "tok-tw-ali", map[string]any{"reason": "other"}, "Idempotency-Key", "k-1")
	want("cancellations (the key on another order)", code, 422, v)
	code, v = call("POST", "/v1/adapters/tw-ali/orders/T-2/cancellations", "tok-tw-ali", map[string]any{"reason": "other", "extra": 1})
	want("cancellations (unknown field)", code, 400, v)
	s.waitFor(t, "tw-ali", "T-1", "accepted", stateIs("cancelled", "synced"))
	s.waitFor(t, "tw-ali", "T-2", "the merchant's request", func(v map[string]any) bool {
		c, _ := v["cancellation"].(map[string]any)
		id, _ := c["request_id"].(string)
		return strings.HasPrefix(id, "mc-")
	})

	var dl string
	if !poll(30*time.Second, 50*time.Millisecond, func() bool {
		code, v = call("GET", "/v1/adapters/tw-ali/dead-letters", "tok-tw-ali", nil)
		items, _ := v["items"].([]any)
		if code == 200 && len(items) == 1 {
			dl, _ = items[0].(map[string]any)["id"].(string)
		}
		return dl != ""
	}) {
		t.Fatal("the dead letter of T-4 never showed")
	}
	code, v = call("POST", "/v1/adapters/tw-other/dead-letters/"+url.PathEscape(dl)+"/replay", adminToken, nil)
	want("replay (other adapter's dead letter)", code, 404, v)
	code, v = call("POST", "/v1/adapters/tw-ali/dead-letters/"+url.PathEscape(dl)+"/replay", "tok-tw-ali", nil)
	want("replay", code, 200, v)
	code, v = call("GET", "/v1/adapters/tw-ali/dashboard", "tok-tw-ali", nil)
	want("dashboard after", code, 200, v)

	// The pages, without following redirects: the sign-in form, a page
	// without a session, a form without its CSRF token, a wrong token.
	pages := &http.Client{Transport: http.DefaultTransport, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func(method, path string, form url.Values) int {
		t.Helper()
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(method, s.url+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := pages.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s %s: X-Frame-Options %q", method, path, resp.Header.Get("X-Frame-Options"))
		}
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path string
		form         url.Values
		code         int
	}{
		{"GET", "/console", nil, 303},
		{"GET", "/console/", nil, 200},
		{"GET", "/console/adapters/tw-ali", nil, 303},
		{"GET", "/console/adapters/tw-ali/orders/T-1", nil, 303},
		{"POST", "/console/sign-in", url.Values{"token": {"tok-tw-ali"}, "csrf": {"forged"}}, 403},
		{"POST", "/console/adapters/tw-ali/orders/T-1/cancellations", url.Values{"reason": {"other"}}, 401},
	} {
		if got := page(c.method, c.path, c.form); got != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.code)
		}
	}
}
