// Package shopifytest is a fake Shopify Admin GraphQL API: a real HTTP
// server on loopback that records every request and answers scripted
// bodies. Tests use it directly; cmd/fakeplatform serves its Handler.
package shopifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Call is one request the fake received.
type Call struct {
	Path      string                     // /admin/api/{version}/graphql.json
	Token     string                     // X-Shopify-Access-Token
	Query     string                     // the GraphQL document
	Variables map[string]json.RawMessage // raw, so ids and numbers stay exact
	Body      []byte
}

// Answer is one scripted response.
type Answer struct {
	Status int         // default 200
	Header http.Header // e.g. Retry-After
	Body   string
}

// Canned answers of orderCancel.
var (
	// JobAnswer: the cancellation job was created.
	JobAnswer = Answer{Body: `{"data":{"orderCancel":{"job":{"id":"gid://shopify/Job/1e6a1d2c-0000-4000-8000-000000000001","done":false},"orderCancelUserErrors":[],"userErrors":[]}},"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1990,"restoreRate":100}}}}`}
	// AlreadyCancelledAnswer: a retry after the first call's answer was lost.
	AlreadyCancelledAnswer = UserError("Order has already been canceled", "INVALID")
	// OutstandingFulfillmentsAnswer: the order has fulfilments.
	OutstandingFulfillmentsAnswer = UserError("Cannot cancel an order with outstanding fulfillments.", "INVALID")
	// ThrottledAnswer: the leaky bucket is empty.
	ThrottledAnswer = Answer{Body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":0,"restoreRate":100}}}}`}
)

// UserError is an orderCancel answer with one user error.
func UserError(message, code string) Answer {
	m, _ := json.Marshal(message)
	c, _ := json.Marshal(code)
	return Answer{Body: `{"data":{"orderCancel":{"job":null,"orderCancelUserErrors":[{"field":["orderId"],"message":` + string(m) + `,"code":` + string(c) + `}],"userErrors":[{"field":["orderId"],"message":` + string(m) + `}]}}}`}
}

// Handler records calls and answers them from its script, then with
// Default. It is safe for concurrent use.
type Handler struct {
	mu      sync.Mutex
	calls   []Call
	script  []Answer
	Default Answer
	// OnCall, when set, is told of each call (cmd/fakeplatform prints it).
	OnCall func(Call, Answer)

	once sync.Once
	bd   *boundary // order reads and webhook subscriptions (boundary.go)
	all  []Call
	// Refunds answers suggestedRefund and refundCreate (refunds.go).
	Refunds Refunds
}

// NewHandler answers every call with JobAnswer until scripted otherwise.
func NewHandler() *Handler { return &Handler{Default: JobAnswer} }

// Script queues answers for the next calls, in order.
func (h *Handler) Script(as ...Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script = append(h.script, as...)
}

// Calls returns a copy of the orderCancel calls received so far (the
// sync's); AllCalls has the reads and subscriptions too.
func (h *Handler) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.calls...)
}

// AllCalls returns a copy of every call received so far.
func (h *Handler) AllCalls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.all...)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/admin/api/") || !strings.HasSuffix(r.URL.Path, "/graphql.json") {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req struct {
		Query     string                     `json:"query"`
		Variables map[string]json.RawMessage `json:"variables"`
	}
	_ = json.Unmarshal(body, &req)
	c := Call{Path: r.URL.Path, Token: r.Header.Get("X-Shopify-Access-Token"), Query: req.Query, Variables: req.Variables, Body: body}
	if a, fault, ok := h.Refunds.serve(c); ok {
		h.mu.Lock()
		h.calls = append(h.calls, c)
		h.mu.Unlock()
		if fault != 0 {
			lost(w, fault)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, a.Body)
		return
	}
	h.mu.Lock()
	h.all = append(h.all, c)
	h.mu.Unlock()
	a, read := h.serveRead(c)
	h.mu.Lock()
	if !read {
		h.calls = append(h.calls, c)
		a = h.Default
		if len(h.script) > 0 {
			a, h.script = h.script[0], h.script[1:]
		}
	}
	onCall := h.OnCall
	h.mu.Unlock()
	if onCall != nil {
		onCall(c, a)
	}
	for k, vs := range a.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, a.Body)
}

// Server is a Handler on a loopback listener.
type Server struct {
	*Handler
	srv *httptest.Server
	URL string // the shop's base URL, for api.base_url
}

// NewServer starts a fake Shopify on 127.0.0.1; Close stops it.
func NewServer() *Server {
	h := NewHandler()
	srv := httptest.NewServer(h)
	return &Server{Handler: h, srv: srv, URL: srv.URL}
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }
