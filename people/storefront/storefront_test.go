package storefront

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cancelsync/cancelsync/platform"
)

func TestTokens(t *testing.T) {
	r := newRig(t, rigOpts{})
	now := r.now
	exp := now.Add(time.Minute).Unix()
	shopify := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		// A customer-account extension's session token, as Shopify makes it.
		c := jwt.MapClaims{
			"iss": "https://" + shopName + "/admin", "dest": "https://" + shopName, "aud": "client-id-1234",
			"sub": "gid://shopify/Customer/7001", "exp": exp, "nbf": now.Add(-time.Second).Unix(), "iat": now.Add(-time.Second).Unix(),
			"jti": "6c2d9b4e-0000-4000-8000-000000000001", "sid": "sess-1",
		}
		if mut != nil {
			mut(c)
		}
		return c
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "b-1", "exp": exp}).SignedString([]byte(keyA))
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "b-1", "exp": exp}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, adapter, token, want string // want "": refused
	}{
		{"merchant-minted", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": exp}), "b-1"},
		{"second key (rotation)", "self", token(t, keyB, jwt.MapClaims{"sub": "b-1", "exp": exp}), "b-1"},
		{"unknown key", "self", token(t, "another-key-0123456789abcdef0000", jwt.MapClaims{"sub": "b-1", "exp": exp}), ""},
		{"another adapter's key", "posh", token(t, keyB, jwt.MapClaims{"sub": "b-1", "exp": exp}), ""},
		{"no token", "self", "", ""},
		{"garbage", "self", "not.a.jwt", ""},
		{"HS512 is not accepted", "self", hs512, ""},
		{"alg none", "self", none, ""},
		{"no exp", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1"}), ""},
		{"expired", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": now.Add(-time.Minute).Unix()}), ""},
		{"exp 1h ahead", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": now.Add(time.Hour).Unix()}), "b-1"},
		{"exp 2h ahead", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": now.Add(2 * time.Hour).Unix()}), ""},
		{"nbf in the future", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": exp, "nbf": now.Add(time.Minute).Unix()}), ""},
		{"nbf passed", "self", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": exp, "nbf": now.Add(-time.Minute).Unix()}), "b-1"},
		{"no sub", "self", token(t, keyA, jwt.MapClaims{"exp": exp}), ""},
		{"shopify session token", "shop", token(t, shopKey, shopify(nil)), "7001"},
		{"shopify dest without https", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { c["dest"] = shopName })), "7001"},
		{"shopify dest of another shop", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { c["dest"] = "https://other.myshopify.com" })), ""},
		{"shopify without dest", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { delete(c, "dest") })), ""},
		{"shopify sub not a customer gid", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { c["sub"] = "7001" })), ""},
		{"shopify sub of another kind", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { c["sub"] = "gid://shopify/Order/7001" })), ""},
		{"shopify signed with a storefront key", "shop", token(t, keyA, shopify(nil)), ""},
		{"shopify expired", "shop", token(t, shopKey, shopify(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := buyer(r.adapters[tc.adapter], tc.token, now)
			switch {
			case tc.want == "" && err == nil:
				t.Fatalf("accepted as buyer %q, want refused", got)
			case tc.want != "" && (err != nil || got != tc.want):
				t.Fatalf("buyer = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestWhoSeesWhat: no or bad token 401 with a Bearer challenge; another
// buyer's order, an unknown order, an unknown adapter and an adapter
// without keys all answer the same 404; the owner (Shopify customer
// included) gets the preview.
func TestWhoSeesWhat(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "self", "o-guest", "guest", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "shop", "5001", "7001", platform.StatusPaid, r.now.Add(-time.Hour))

	for _, method := range []string{"GET", "POST"} {
		body := ""
		if method == "POST" {
			body = `{"reason":"changed_mind"}`
		}
		for _, tok := range []string{"", "garbage", token(t, keyA, jwt.MapClaims{"sub": "b-1", "exp": r.now.Add(-time.Hour).Unix()})} {
			a := r.do(t, r.router, method, path("self", "o-1"), tok, body, nil)
			if a.status != 401 || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") ||
				a.header.Get("Content-Type") != "application/problem+json" || a.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("%s with token %.10q: %d %v %s", method, tok, a.status, a.header, a.raw)
			}
		}
		var notFound []string
		for _, c := range []struct{ adapter, order, buyer string }{
			{"self", "o-1", "b-2"},       // another buyer's order
			{"self", "o-none", "b-1"},    // unknown order
			{"self", "o-guest", "guest"}, // a guest's order: nobody's to cancel here
			{"self", "x%20y", "b-1"},     // not an order id
			{"nosuch", "o-1", "b-1"},     // unknown adapter
			{"nokeys", "o-1", "b-1"},     // no storefront_secrets
		} {
			a := r.do(t, r.router, method, path(c.adapter, c.order), r.buyerToken(t, c.buyer), body, nil)
			if a.status != 404 {
				t.Fatalf("%s %+v: %d %s, want 404", method, c, a.status, a.raw)
			}
			notFound = append(notFound, a.raw)
		}
		for _, raw := range notFound[1:] {
			if raw != notFound[0] {
				t.Fatalf("%s: 404 answers differ, which tells orders apart:\n%s\n%s", method, notFound[0], raw)
			}
		}
	}
	if a := r.do(t, r.router, "GET", path("self", "o-1"), r.buyerToken(t, "b-1"), "", nil); a.status != 200 || a.body["eligible"] != true {
		t.Fatalf("owner: %d %s", a.status, a.raw)
	}
	shopTok := token(t, shopKey, jwt.MapClaims{"iss": "https://" + shopName + "/admin", "dest": "https://" + shopName, "aud": "client-id",
		"sub": "gid://shopify/Customer/7001", "exp": r.now.Add(time.Minute).Unix(), "nbf": r.now.Unix()})
	if a := r.do(t, r.router, "GET", path("shop", "5001"), shopTok, "", nil); a.status != 200 || a.body["order_id"] != "5001" {
		t.Fatalf("shopify customer on their order: %d %s", a.status, a.raw)
	}
}

func TestCORS(t *testing.T) {
	r := newRig(t, rigOpts{})
	req := httptest.NewRequest("OPTIONS", path("self", "o-1"), nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
	w := httptest.NewRecorder()
	r.router.ServeHTTP(w, req)
	h := w.Header()
	if w.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "GET") {
		t.Fatalf("preflight: %d %v", w.Code, h)
	}
	for _, want := range []string{"Authorization", "Content-Type", "Idempotency-Key"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
			t.Fatalf("preflight allows headers %q, not %s", h.Get("Access-Control-Allow-Headers"), want)
		}
	}
	// Only these routes: nothing else gets CORS headers.
	other := gin404(r)
	if other.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS on a route outside the storefront")
	}
}

func gin404(r *rig) http.Header {
	w := httptest.NewRecorder()
	r.router.ServeHTTP(w, httptest.NewRequest("GET", "/v1/adapters/self/orders/o-1", nil))
	return w.Header()
}

// TestPreviewAndRequest: GET says what a request would get, POST queues
// one that the workers decide, and GET then shows its cancellation.
func TestPreviewAndRequest(t *testing.T) {
	r := newRig(t, rigOpts{})
	tok := r.buyerToken(t, "b-1")
	r.order(t, "posh", "p-new", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "posh", "p-old", "b-1", platform.StatusPaid, r.now.Add(-4*time.Hour))
	r.order(t, "posh", "p-shipped", "b-1", platform.StatusShipped, r.now.Add(-time.Hour))
	r.order(t, "ali", "a-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))

	for _, c := range []struct {
		adapter, order       string
		eligible             bool
		would, denial, until string
	}{
		{"posh", "p-new", true, "cancelled", "", r.now.Add(2 * time.Hour).Format(time.RFC3339)},
		{"posh", "p-old", false, "denied", "window_expired", r.now.Add(-time.Hour).Format(time.RFC3339)},
		{"posh", "p-shipped", false, "denied", "already_shipped", ""},
		{"ali", "a-1", true, "pending_response", "", ""},
	} {
		a := r.do(t, r.router, "GET", path(c.adapter, c.order), tok, "", nil)
		if a.status != 200 || a.body["eligible"] != c.eligible || a.body["would"] != c.would || a.body["cancellation"] != nil ||
			fmt.Sprint(a.body["denial_reason"]) != map[bool]string{true: "<nil>", false: c.denial}[c.denial == ""] ||
			fmt.Sprint(a.body["cancel_by"]) != map[bool]string{true: "<nil>", false: c.until}[c.until == ""] {
			t.Fatalf("%s/%s: %d %s", c.adapter, c.order, a.status, a.raw)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Fatal("a buyer's answer must not be cached")
		}
	}

	a := r.do(t, r.router, "POST", path("ali", "a-1"), tok, `{"reason":"changed_mind","comments":"wrong size"}`, nil)
	if a.status != 202 || a.body["status"] != "queued" || !strings.HasPrefix(fmt.Sprint(a.body["request_id"]), "sf-") {
		t.Fatalf("POST: %d %s", a.status, a.raw)
	}
	queued := r.pending(t)
	if len(queued) != 1 {
		t.Fatalf("%d tasks queued, want 1", len(queued))
	}
	c := queued[0].Event.Cancellation
	if c == nil || c.Initiator != platform.Buyer || c.RequestID != a.body["request_id"] || c.OrderID != "a-1" || !c.OccurredAt.Equal(r.now) ||
		c.Reason != "changed_mind" || c.Comments != "wrong size" || queued[0].WebhookID != c.RequestID {
		t.Fatalf("queued %+v", queued[0])
	}
	r.runPending(t)
	g := r.do(t, r.router, "GET", path("ali", "a-1"), tok, "", nil)
	cv, _ := g.body["cancellation"].(map[string]any)
	if g.body["eligible"] != false || g.body["denial_reason"] != "request_open" || cv == nil ||
		cv["state"] != "pending_response" || cv["request_id"] != a.body["request_id"] || cv["initiator"] != "buyer" {
		t.Fatalf("GET after the request: %s", g.raw)
	}
}

func TestRequestValidation(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	tok := r.buyerToken(t, "b-1")
	for _, c := range []struct {
		body, field string
	}{
		{`{}`, "reason"},
		{`{"reason":"bored"}`, "reason"},
		{`{"reason":"changed_mind","comments":"` + strings.Repeat("é", 1001) + `"}`, "comments"},
		{`{"reason":"changed_mind","extra":1}`, ""},
		{`{"reason":"changed_mind"} {}`, ""},
		{`[1]`, ""},
	} {
		a := r.do(t, r.router, "POST", path("self", "o-1"), tok, c.body, nil)
		errs, _ := a.body["errors"].([]any)
		if a.status != 400 || len(errs) == 0 || errs[0].(map[string]any)["field"] != c.field {
			t.Fatalf("%.40s: %d %s", c.body, a.status, a.raw)
		}
	}
	if a := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"reason":"changed_mind","comments":"`+strings.Repeat("é", 1000)+`"}`, nil); a.status != 202 {
		t.Fatalf("1000 characters: %d %s", a.status, a.raw)
	}
	a := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"reason":"other"}`, map[string]string{"Content-Type": "text/plain"})
	if a.status != 415 {
		t.Fatalf("text/plain: %d", a.status)
	}
	a = r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"reason":"other"}`, map[string]string{"Idempotency-Key": " "})
	if a.status != 400 {
		t.Fatalf("blank Idempotency-Key: %d %s", a.status, a.raw)
	}
}

// TestIdempotency on a real redis-server: a repeated key with the same
// order and body gets the first answer and queues nothing new, racing
// POSTs with one key give one request, and the key is the buyer's own.
func TestIdempotency(t *testing.T) {
	r := newRig(t, rigOpts{real: true})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "self", "o-2", "b-2", platform.StatusPaid, r.now.Add(-time.Hour))
	tok := r.buyerToken(t, "b-1")
	key := map[string]string{"Idempotency-Key": "order-page-click-1"}

	first := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"reason":"changed_mind"}`, key)
	r.now = r.now.Add(time.Minute)
	again := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{ "comments": "", "reason": "changed_mind" }`, key)
	if first.status != 202 || again.status != 202 || first.raw != again.raw {
		t.Fatalf("first %d %s, again %d %s", first.status, first.raw, again.status, again.raw)
	}
	if q := r.pending(t); len(q) != 1 || q[0].Event.Cancellation.Reason != "changed_mind" {
		t.Fatalf("queued %+v, want the first request only", q)
	}
	// Another buyer's same key is theirs.
	other := r.do(t, r.router, "POST", path("self", "o-2"), r.buyerToken(t, "b-2"), `{"reason":"other"}`, key)
	if other.status != 202 || other.body["request_id"] == first.body["request_id"] {
		t.Fatalf("another buyer's key: %d %s", other.status, other.raw)
	}

	// Racing POSTs with a fresh key, on two api processes.
	r2 := r.mount(t)
	race := map[string]string{"Idempotency-Key": "race-1"}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			h := http.Handler(r.router)
			if i%2 == 1 {
				h = r2
			}
			a := r.do(t, h, "POST", path("self", "o-1"), tok, `{"reason":"changed_mind"}`, race)
			ids[i] = fmt.Sprintf("%d %v", a.status, a.body["request_id"])
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] || !strings.HasPrefix(id, "202 sf-") {
			t.Fatalf("racing answers %v", ids)
		}
	}
	if q := r.pending(t); len(q) != 3 {
		t.Fatalf("%d tasks queued, want 3 (first, other buyer, one race)", len(q))
	}
}

// TestIdempotencyKeyBoundToOrderAndBody: a key repeated with another order
// or another body is a 422 that queues nothing, so the other order is
// never answered for a request it did not get; the first order's request
// stands.
func TestIdempotencyKeyBoundToOrderAndBody(t *testing.T) {
	r := newRig(t, rigOpts{real: true})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "self", "o-2", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	tok := r.buyerToken(t, "b-1")
	key := map[string]string{"Idempotency-Key": "click-1"}

	first := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"reason":"changed_mind","comments":"too late"}`, key)
	if first.status != 202 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	for _, c := range []struct{ what, order, body string }{
		{"another order", "o-2", `{"reason":"changed_mind","comments":"too late"}`},
		{"another reason", "o-1", `{"reason":"other","comments":"too late"}`},
		{"other comments", "o-1", `{"reason":"changed_mind"}`},
	} {
		a := r.do(t, r.router, "POST", path("self", c.order), tok, c.body, key)
		if a.status != 422 || a.header.Get("Content-Type") != "application/problem+json" ||
			a.body["type"] != "https://cancelsync.dev/problems/idempotency-key-reused" ||
			!strings.Contains(fmt.Sprint(a.body["detail"]), "same parameters") {
			t.Errorf("%s with the key: %d %s, want 422 idempotency-key-reused", c.what, a.status, a.raw)
		}
	}
	same := r.do(t, r.router, "POST", path("self", "o-1"), tok, `{"comments":"too late","reason":"changed_mind"}`, key)
	if same.status != 202 || same.raw != first.raw {
		t.Errorf("same order and body: %d %s, want the first answer %s", same.status, same.raw, first.raw)
	}
	q := r.pending(t)
	if len(q) != 1 || q[0].Event.Cancellation.OrderID != "o-1" || q[0].Event.Cancellation.Reason != "changed_mind" {
		t.Fatalf("queued %+v, want o-1's first request only", q)
	}
	r.runPending(t)
	if g := r.do(t, r.router, "GET", path("self", "o-2"), tok, "", nil); g.status != 200 || g.body["cancellation"] != nil {
		t.Errorf("o-2 after the refused key: %d %s, want no request", g.status, g.raw)
	}
	if g := r.do(t, r.router, "GET", path("self", "o-1"), tok, "", nil); g.body["cancellation"] == nil {
		t.Errorf("o-1: %s, want its request", g.raw)
	}
}

// TestRateLimit on a real redis-server: 10 POSTs a minute per buyer, shared
// by two api processes; the 11th is 429 with Retry-After; another buyer is
// not held back.
func TestRateLimit(t *testing.T) {
	r := newRig(t, rigOpts{real: true})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	r.order(t, "self", "o-2", "b-2", platform.StatusPaid, r.now.Add(-time.Hour))
	r2 := r.mount(t)
	tok := r.buyerToken(t, "b-1")
	// The limit refills one POST every 6 s (redis_rate's GCRA on Redis's
	// clock), so a slow machine may earn more than 10: allow for the time
	// the POSTs took, and stop at the first refusal.
	start := time.Now()
	accepted := 0
	var a answer
	for i := range 40 {
		h := http.Handler(r.router)
		if i%2 == 1 {
			h = r2
		}
		a = r.do(t, h, "POST", path("self", "o-1"), tok, `{"reason":"changed_mind"}`, nil)
		if a.status != 202 {
			break
		}
		accepted++
	}
	earned := int(time.Since(start) / (6 * time.Second))
	if accepted < 10 || accepted > 10+earned {
		t.Fatalf("%d POSTs accepted in %s, want 10 (+%d refilled)", accepted, time.Since(start), earned)
	}
	secs, err := strconv.Atoi(a.header.Get("Retry-After"))
	if a.status != 429 || err != nil || secs < 1 || secs > 60 || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("POST past the limit: %d Retry-After %q %s", a.status, a.header.Get("Retry-After"), a.raw)
	}
	if a := r.do(t, r.router, "POST", path("self", "o-2"), r.buyerToken(t, "b-2"), `{"reason":"changed_mind"}`, nil); a.status != 202 {
		t.Fatalf("another buyer: %d %s", a.status, a.raw)
	}
	// GET is not limited.
	if a := r.do(t, r.router, "GET", path("self", "o-1"), tok, "", nil); a.status != 200 {
		t.Fatalf("GET after the limit: %d", a.status)
	}
}

// TestRedisDown: 503 with Retry-After, for GET and POST.
func TestRedisDown(t *testing.T) {
	r := newRig(t, rigOpts{real: true})
	r.order(t, "self", "o-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	tok := r.buyerToken(t, "b-1")
	r.rs.Stop()
	for _, m := range []string{"GET", "POST"} {
		body := ""
		if m == "POST" {
			body = `{"reason":"changed_mind"}`
		}
		a := r.do(t, r.router, m, path("self", "o-1"), tok, body, nil)
		if a.status != 503 || a.header.Get("Retry-After") == "" || a.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s with Redis down: %d %v %s", m, a.status, a.header, a.raw)
		}
	}
}

// BenchmarkGet is the "may I cancel?" handler on miniredis: token check,
// one GET of the order's document, the decision, the JSON answer.
func BenchmarkGet(b *testing.B) {
	r := newRig(b, rigOpts{})
	r.order(b, "posh", "p-1", "b-1", platform.StatusPaid, r.now.Add(-time.Hour))
	tok := r.buyerToken(b, "b-1")
	req := httptest.NewRequest("GET", path("posh", "p-1"), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r.router.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
