package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/httpapi"
	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/people/console"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
	"github.com/cancelsync/cancelsync/webhooks"
)

const adminToken = "admin-token-for-tests"

// rig is the service's HTTP edge (webhooks router with the console
// mounted) on a real redis-server, with two adapters: "shop-a" (merchant
// token tok-a) and "shop-b" (tok-b).
type rig struct {
	srv   *httptest.Server
	rdb   *redis.Client
	mu    sync.Mutex
	ads   map[string]*platform.Adapter
	queue *tasks.Queue
	logs  *logBuffer // the console's log lines, JSON
}

// logBuffer is a log sink safe for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newRig(t *testing.T) *rig {
	t.Helper()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	r := &rig{rdb: rdb, ads: map[string]*platform.Adapter{}, logs: &logBuffer{}}
	for id, tok := range map[string]string{"shop-a": "tok-a", "shop-b": "tok-b"} {
		ad, err := registry.Default()["aliexpress"].New(platform.Settings{
			ID: id, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, MerchantTokens: []string{tok},
			API: platform.API{BaseURL: "http://127.0.0.1:9", Token: "x", Timeout: time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		r.ads[id] = ad
	}
	store := orderstore.NewStore(rdb)
	r.queue = tasks.NewQueue(rdb, time.Hour)
	lookup := func(id string) (*platform.Adapter, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		a, ok := r.ads[id]
		return a, ok
	}
	c := console.New(console.Options{
		Options: merchant.Options{
			Redis: rdb, Store: store, Indexes: orderstore.NewConsole(store), DeadLetters: syncback.NewDeadLetters(r.queue, store), Enqueuer: r.queue,
			Adapter: lookup,
		},
		AdapterIDs: func() []string { return []string{"shop-a", "shop-b"} }, AdminToken: func() string { return adminToken },
		Logger: slog.New(slog.NewJSONHandler(r.logs, nil)),
	})
	pong := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) })
	h := httpapi.NewRouter(httpapi.Options{
		Webhooks: webhooks.Options{Adapters: r.ads, Enqueuer: r.queue}, Views: orderstore.Views{Store: store, Adapters: r.ads}, AdminToken: adminToken,
		Console: c, QueuesUI: pong,
	})
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestTenantIsolationOverV1(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	cases := []struct {
		method, path, token string
		body                string
		want                int
	}{
		{"GET", "/v1/adapters/shop-a/cancellations", "tok-a", "", 200},
		{"GET", "/v1/adapters/shop-a/stats?days=30", "tok-a", "", 200},
		{"GET", "/v1/adapters/shop-a/dashboard", "tok-a", "", 200},
		{"GET", "/v1/adapters/shop-a/dead-letters", "tok-a", "", 200},
		{"GET", "/v1/adapters/shop-b/cancellations", "tok-a", "", 404},
		{"GET", "/v1/adapters/shop-b/stats", "tok-a", "", 404},
		{"GET", "/v1/adapters/shop-b/orders/o1", "tok-a", "", 404},
		{"POST", "/v1/adapters/shop-b/orders/o1/cancellations", "tok-a", `{"reason":"other"}`, 404},
		{"POST", "/v1/adapters/shop-b/orders/o1/responses", "tok-a", `{"request_id":"r1","decision":"accept"}`, 404},
		{"POST", "/v1/adapters/shop-b/dead-letters/x/replay", "tok-a", "", 404},
		{"GET", "/v1/adapters/nope/stats", "tok-a", "", 404},
		{"GET", "/v1/adapters/nope/stats", adminToken, "", 404},
		{"GET", "/v1/adapters/shop-b/stats", "tok-b", "", 200},
		{"GET", "/v1/adapters/shop-b/stats", adminToken, "", 200},
		{"GET", "/v1/adapters/shop-a/stats", "", "", 401},
		{"GET", "/v1/adapters/shop-a/stats", "tok-wrong", "", 401},
		{"GET", httpapi.QueuesUIPath, "tok-a", "", 401},
		{"GET", httpapi.QueuesUIPath, adminToken, "", 200},
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", `{"reason":"other"}`, 202},
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", `{"reason":"nope"}`, 400},
		// The body's schema is an object: null, an array or a second
		// value after it is not one.
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", `null`, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", ` null `, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", `[]`, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/cancellations", "tok-a", `{"reason":"other"} {}`, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/responses", "tok-a", `null`, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/responses", "tok-a", `{"request_id":"r1","decision":"maybe"}`, 400},
		{"POST", "/v1/adapters/shop-a/orders/o1/responses", "tok-a", `{"request_id":"r1","decision":"accept"}`, 202},
		{"GET", "/v1/adapters/shop-a/cancellations?state=bogus", "tok-a", "", 400},
		{"GET", "/v1/adapters/shop-a/cancellations?cursor=zzz", "tok-a", "", 400},
		{"POST", "/v1/adapters/shop-a/dead-letters/nope/replay", "tok-a", "", 404},
	}
	for _, c := range cases {
		if got, body := r.do(t, c.method, c.path, c.token, c.body); got != c.want {
			t.Errorf("%s %s as %q: %d, want %d (%s)", c.method, c.path, c.token, got, c.want, body)
		} else if c.want == 400 && !strings.Contains(body, `"type":"https://cancelsync.dev/problems/invalid-payload"`) {
			// docs/API.md: a 400 is the invalid-payload problem, as everywhere else.
			t.Errorf("%s %s: 400 body %s, want the invalid-payload problem", c.method, c.path, body)
		}
	}
	_, body := r.do(t, "GET", "/v1/adapters", "tok-a", "")
	if !strings.Contains(body, "shop-a") || strings.Contains(body, "shop-b") {
		t.Errorf("merchant a's adapters: %s", body)
	}
	_, body = r.do(t, "GET", "/v1/adapters", adminToken, "")
	if !strings.Contains(body, "shop-a") || !strings.Contains(body, "shop-b") {
		t.Errorf("admin's adapters: %s", body)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t   *testing.T
	c   *http.Client
	url string
}

func newBrowser(t *testing.T, r *rig) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, url: r.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(b.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) post(path string, form url.Values, hdr ...string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in %s", page)
	}
	return m[1]
}

// signIn signs b in with token and returns the dashboard's CSRF token.
func (b *browser) signIn(token string) {
	b.t.Helper()
	_, page := b.get("/console/")
	res, _ := b.post("/console/sign-in", url.Values{"csrf": {csrfOf(b.t, page)}, "token": {token}})
	if res.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d", res.StatusCode)
	}
}

func TestSignInFailures(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b := newBrowser(t, r)
	res, page := b.get("/console/")
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("sign-in page: %d %v", res.StatusCode, res.Header)
	}
	csrf := csrfOf(t, page)

	// No CSRF token: refused before the token is even looked at.
	fresh := newBrowser(t, r)
	if res, _ := fresh.post("/console/sign-in", url.Values{"token": {adminToken}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's CSRF cookie: %d", res.StatusCode)
	}
	if res, _ := b.post("/console/sign-in", url.Values{"csrf": {"forged"}, "token": {adminToken}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with a forged CSRF token: %d", res.StatusCode)
	}
	for _, tok := range []string{"", "tok-wrong", adminToken + "x"} {
		res, page := b.post("/console/sign-in", url.Values{"csrf": {csrf}, "token": {tok}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("sign-in with %q: %d", tok, res.StatusCode)
		}
		for _, c := range res.Cookies() {
			if c.Name == "cancelsync_session" && c.MaxAge >= 0 {
				t.Errorf("a failed sign-in set a session cookie")
			}
		}
		csrf = csrfOf(t, page)
	}
	// A session cookie's flags, and no token in it; Secure behind TLS.
	res, _ = b.post("/console/sign-in", url.Values{"csrf": {csrf}, "token": {"tok-a"}}, "X-Forwarded-Proto", "https")
	var sess *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "cancelsync_session" {
			sess = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || !sess.Secure || strings.Contains(sess.Value, "tok-a") {
		t.Fatalf("sign-in: %d cookie %+v", res.StatusCode, sess)
	}
	// Pages without a session go to the sign-in page.
	if res, _ := newBrowser(t, r).get("/console/adapters/shop-a"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		t.Errorf("dashboard without a session: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestConsolePagesAreScopedAndCSRFProtected(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b := newBrowser(t, r)
	b.signIn("tok-a")
	res, _ := b.get("/console/")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/adapters/shop-a" {
		t.Fatalf("merchant home: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, page := b.get("/console/adapters/shop-a")
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(page, `id="orders-seen"`) {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	if strings.Contains(page, "shop-b") {
		t.Error("merchant a's dashboard names shop-b")
	}
	csrf := csrfOf(t, page)
	for _, p := range []string{"/console/adapters/shop-b", "/console/adapters/shop-b/cancellations", "/console/adapters/shop-b/orders/o1", "/console/adapters/nope"} {
		if res, body := b.get(p); res.StatusCode != 404 || strings.Contains(body, "aliexpress") {
			t.Errorf("%s as merchant a: %d", p, res.StatusCode)
		}
	}
	if res, _ := b.post("/console/adapters/shop-b/orders/o1/cancellations", url.Values{"csrf": {csrf}, "reason": {"other"}}); res.StatusCode != 404 {
		t.Errorf("cancel on shop-b as merchant a: %d", res.StatusCode)
	}
	// Every POST needs the session's CSRF token.
	for _, f := range []url.Values{{"reason": {"other"}}, {"reason": {"other"}, "csrf": {"forged"}}} {
		if res, _ := b.post("/console/adapters/shop-a/orders/o1/cancellations", f); res.StatusCode != http.StatusForbidden {
			t.Errorf("cancel with csrf %q: %d", f.Get("csrf"), res.StatusCode)
		}
	}
	if res, _ := b.post("/console/sign-out", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without csrf: %d", res.StatusCode)
	}
	// Another session's CSRF token does not do either.
	other := newBrowser(t, r)
	other.signIn("tok-a")
	_, otherPage := other.get("/console/adapters/shop-a")
	if res, _ := b.post("/console/adapters/shop-a/orders/o1/cancellations", url.Values{"csrf": {csrfOf(t, otherPage)}, "reason": {"other"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cancel with another session's csrf: %d", res.StatusCode)
	}
	res, _ = b.post("/console/adapters/shop-a/orders/o1/cancellations", url.Values{"csrf": {csrf}, "reason": {"other"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/adapters/shop-a/orders/o1" {
		t.Fatalf("cancel: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The action's message shows on the next page, once: a reload does
	// not say "queued" again.
	if _, page := b.get("/console/adapters/shop-a/orders/o1"); !strings.Contains(page, `id="message"`) || !strings.Contains(page, "cancellation is queued") {
		t.Errorf("the page after the cancel has no message: %.400s", page)
	}
	if _, page := b.get("/console/adapters/shop-a/orders/o1"); strings.Contains(page, `id="message"`) {
		t.Error("the action's message came back on a reload")
	}
	// The token leaves the config: its sessions end with it.
	r.mu.Lock()
	a := *r.ads["shop-a"]
	a.MerchantTokens = []string{"tok-a2"}
	r.ads["shop-a"] = &a
	r.mu.Unlock()
	if res, _ := b.get("/console/adapters/shop-a"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("dashboard after the token was removed: %d", res.StatusCode)
	}
	// Sign out ends the session in Redis too.
	admin := newBrowser(t, r)
	admin.signIn(adminToken)
	_, page = admin.get("/console/adapters/shop-b")
	if !strings.Contains(page, `id="orders-seen"`) {
		t.Fatal("admin sees shop-b")
	}
	if res, _ := admin.post("/console/sign-out", url.Values{"csrf": {csrfOf(t, page)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.StatusCode)
	}
	if res, _ := admin.get("/console/adapters/shop-b"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", res.StatusCode)
	}
}

// TestActionsQueueWhatAWebhookWould checks that an answer from the console
// is the same delivery a cancellation.responded webhook from the
// merchant's side would be.
func TestActionsQueueWhatAWebhookWould(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	code, body := r.do(t, "POST", "/v1/adapters/shop-a/orders/o1/responses", "tok-a", `{"request_id":"r1","decision":"decline"}`)
	var q struct {
		Status    string `json:"status"`
		RequestID string `json:"request_id"`
	}
	if code != 202 || json.Unmarshal([]byte(body), &q) != nil || q.Status != "queued" || q.RequestID != "r1" {
		t.Fatalf("%d %s", code, body)
	}
	// A repeat with the same Idempotency-Key is a duplicate, not a second
	// delivery.
	req := func() int {
		rq, _ := http.NewRequest("POST", r.srv.URL+"/v1/adapters/shop-a/orders/o1/cancellations", strings.NewReader(`{"reason":"other"}`))
		rq.Header.Set("Authorization", "Bearer tok-a")
		rq.Header.Set("Idempotency-Key", "k1")
		res, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if first, second := req(), req(); first != 202 || second != 200 {
		t.Errorf("idempotent cancel: %d then %d", first, second)
	}
}

// TestConsoleErrorsArePages: every answer under /console is an HTML page
// with the framing headers, whatever went wrong, and a query the JSON twin
// refuses with 400 is a 400 page too.
func TestConsoleErrorsArePages(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b := newBrowser(t, r)
	b.signIn("tok-a")
	for _, c := range []struct {
		method, path string
		want         int
		says         string
	}{
		{"GET", "/console/adapters/shop-a/orders/a%2Fb", 404, "Not found"},
		{"GET", "/console/no-such-page", 404, "Not found"},
		{"POST", "/console/", 405, "Not allowed"},
		{"GET", "/console/adapters/shop-a?days=9999", 400, "days: a number of days from 1 to 90"},
		{"GET", "/console/adapters/shop-a?since=yesterday", 400, "since: RFC 3339 time or YYYY-MM-DD"},
		{"GET", "/console/adapters/shop-a/cancellations?state=bogus", 400, "state: not a known state"},
	} {
		var res *http.Response
		var page string
		if c.method == "GET" {
			res, page = b.get(c.path)
		} else {
			res, page = b.post(c.path, url.Values{})
		}
		h := res.Header
		if res.StatusCode != c.want || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || !strings.Contains(page, c.says) {
			t.Errorf("%s %s: %d %s XFO=%q, want %d, an HTML page saying %q: %.300s", c.method, c.path, res.StatusCode,
				h.Get("Content-Type"), h.Get("X-Frame-Options"), c.want, c.says, page)
		}
	}
	// Outside /console the API's problem+json stays.
	if res, _ := b.get("/no-such-route"); res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("/no-such-route: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// The valid periods still answer 200.
	for _, p := range []string{"/console/adapters/shop-a?days=90", "/console/adapters/shop-a?days=1"} {
		if res, _ := b.get(p); res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
}

// TestHomeSummarisesEachAdapter: the admin's home page has one row per
// adapter with its requests, what waits for the merchant and failed syncs.
func TestHomeSummarisesEachAdapter(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b := newBrowser(t, r)
	b.signIn(adminToken)
	res, page := b.get("/console/")
	if res.StatusCode != 200 {
		t.Fatalf("home: %d", res.StatusCode)
	}
	for _, want := range []string{"waiting for you", "failed syncs", `data-adapter="shop-a"`, `data-adapter="shop-b"`, `class="requests">0<`, `class="waiting">0<`, `class="failed-syncs">0<`} {
		if !strings.Contains(page, want) {
			t.Errorf("home page lacks %q: %.1500s", want, page)
		}
	}
}
