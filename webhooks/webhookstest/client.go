package webhookstest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/platform"
)

// The test bundles' names: Secret signs the fake platform's webhooks and,
// like Token, must never show up in a response or a log line.
const (
	Secret  = "test-secret-do-not-leak"
	Adapter = "acme-posh"
	// OrdersOnlyAdapter takes no /cancellations and answers pings.
	OrdersOnlyAdapter = "acme-store"
	Token             = "admin-token-123"
)

// Webhook is one delivery to post.
type Webhook struct {
	Path        string // default /webhooks/acme-posh/orders
	ID          string // default msg_1
	TS          time.Time
	Body        string
	ContentType string // default application/json; "-" sends none
	BadSig      bool
	Unsigned    bool
	Chunked     bool // hide the length: Transfer-Encoding: chunked
	Header      http.Header
}

// Post sends w to the server at baseURL, signed with Secret as Inbound
// verifies it; a zero w.TS is now.
func Post(t testing.TB, baseURL string, now time.Time, w Webhook) (*http.Response, []byte) {
	t.Helper()
	if w.Path == "" {
		w.Path = "/webhooks/" + Adapter + "/orders"
	}
	if w.ID == "" {
		w.ID = "msg_1"
	}
	if w.TS.IsZero() {
		w.TS = now
	}
	var body io.Reader = strings.NewReader(w.Body)
	if w.Chunked {
		body = io.MultiReader(strings.NewReader(w.Body)) // not a type net/http can size
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+w.Path, body)
	if err != nil {
		t.Fatal(err)
	}
	if w.Chunked {
		req.ContentLength = -1
	}
	switch w.ContentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", w.ContentType)
	}
	if !w.Unsigned {
		ts := strconv.FormatInt(w.TS.Unix(), 10)
		sig := Sign([]byte(Secret), w.ID, ts, []byte(w.Body))
		if w.BadSig {
			sig[0] ^= 0xff
		}
		req.Header.Set("X-Test-Id", w.ID)
		req.Header.Set("X-Test-Timestamp", ts)
		req.Header.Set("X-Test-Signature", hex.EncodeToString(sig))
	}
	for k, vs := range w.Header {
		req.Header[k] = vs
	}
	return Do(t, req)
}

// Get sends a GET of url with header.
func Get(t testing.TB, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	return Do(t, req)
}

// Do sends req and reads the whole answer.
func Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// Problem is an RFC 9457 body as a client reads it.
type Problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []platform.FieldError `json:"errors"`
}

// WantProblem asserts status, the problem+json media type, a complete
// document of kind typ, and that nothing secret leaked into it.
func WantProblem(t testing.TB, resp *http.Response, body []byte, status int, typ string) Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Type != problem.Base+typ || p.Status != status || p.Title == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want type %s, status %d, a title and a detail", p, problem.Base+typ, status)
	}
	for _, secret := range []string{Secret, Token, "PM-10023"} {
		if bytes.Contains(body, []byte(secret)) {
			t.Errorf("problem body leaks %q: %s", secret, body)
		}
	}
	return p
}
