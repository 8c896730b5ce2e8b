// Package wootest is a fake WooCommerce REST API (v3): a real HTTP server
// on loopback that checks Basic auth, keeps orders' statuses, refunds and
// notes, records every request and fails on script. Tests use it directly;
// cmd/fakeplatform serves its Handler.
package wootest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Routes the fake serves, for scripting answers.
const (
	UpdateOrder  = "PUT order"
	ListRefunds  = "GET refunds"
	CreateRefund = "POST refunds"
	ListNotes    = "GET notes"
	CreateNote   = "POST notes"
	// Reads and webhooks (docs/API.md §13).
	GetOrder      = "GET order"
	ListOrders    = "GET orders"
	ListWebhooks  = "GET webhooks"
	CreateWebhook = "POST webhooks"
	UpdateWebhook = "PUT webhook"
	routePrefix   = "/wp-json/wc/v3/orders/"
	apiRoot       = "/wp-json/wc/v3"
	defaultAnswer = http.StatusOK
)

// Call is one request the fake received.
type Call struct {
	Route   string // one of the route constants, "" for an unknown path
	Method  string
	Path    string // with its query
	OrderID string
	AuthOK  bool // Basic auth carried the configured key and secret
	Body    map[string]any
	Status  int // what the fake answered
}

// Answer is a scripted failure.
type Answer struct {
	Status int         // e.g. 503
	Header http.Header // e.g. Retry-After
	// Apply makes the fake carry the request out before failing, as a
	// store whose answer is lost on the way back.
	Apply bool
	// Message, when set, is the error body's message, made from the
	// request: a store that echoes what it was sent (credentials too).
	Message func(r *http.Request) string
}

// Refund is one refund the fake holds.
type Refund struct {
	ID        int    `json:"id"`
	Amount    string `json:"amount"`
	Reason    string `json:"reason"`
	APIRefund bool   `json:"-"`
	// APIRestock and LineItems are as sent ({"id", "quantity",
	// "refund_total"} each): a refund of some lines.
	APIRestock bool             `json:"-"`
	LineItems  []map[string]any `json:"-"`
}

// Note is one order note the fake holds.
type Note struct {
	ID           int    `json:"id"`
	Note         string `json:"note"`
	CustomerNote bool   `json:"customer_note"`
}

type order struct {
	status  string
	refunds []Refund
	notes   []Note
	// body is the whole order as PutOrder gave it, for GET: an order the
	// fake was never given is one it cannot show (404), though its sync
	// calls work as before.
	body map[string]any
}

// Handler is the fake API. It is safe for concurrent use.
type Handler struct {
	key, secret string

	mu       sync.Mutex
	calls    []Call
	script   map[string][]Answer
	outage   *Answer // every call's answer while set
	orders   map[string]*order
	webhooks []*Webhook
	nextID   int
	// OnCall, when set, is told of each call (cmd/fakeplatform prints it).
	OnCall func(Call)
	now    func() time.Time
}

// NewHandler accepts Basic auth with key and secret and knows every order
// id it is asked about.
func NewHandler(key, secret string) *Handler {
	return &Handler{key: key, secret: secret, script: map[string][]Answer{}, orders: map[string]*order{}, nextID: 1000, now: time.Now}
}

// Fail queues answers for the next calls of route, in order; after them
// the route works again.
func (h *Handler) Fail(route string, as ...Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script[route] = append(h.script[route], as...)
}

// Outage makes every call, on any route, get a's failure (not carried
// out) until Outage(nil): a store that is down.
func (h *Handler) Outage(a *Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outage = a
}

// Calls returns a copy of the calls received so far.
func (h *Handler) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Call(nil), h.calls...)
}

// CallsFor returns the sync's calls about one order, in arrival order:
// the live reads of the order (GetOrder) are left out; Calls has them.
func (h *Handler) CallsFor(orderID string) []Call {
	var out []Call
	for _, c := range h.Calls() {
		if c.OrderID == orderID && c.Route != GetOrder {
			out = append(out, c)
		}
	}
	return out
}

// Status is the order's status as the fake holds it ("" if never set).
func (h *Handler) Status(orderID string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.orders[orderID]; o != nil {
		return o.status
	}
	return ""
}

// Refunds returns the order's refunds.
func (h *Handler) Refunds(orderID string) []Refund {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.orders[orderID]; o != nil {
		return append([]Refund(nil), o.refunds...)
	}
	return nil
}

// AddRefund records a refund made outside cancelsync (the merchant, by
// hand), newest first as WooCommerce lists them.
func (h *Handler) AddRefund(orderID, amount, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.orders[orderID]
	if o == nil {
		o = &order{status: "processing"}
		h.orders[orderID] = o
	}
	h.nextID++
	o.refunds = append([]Refund{{ID: h.nextID, Amount: amount, Reason: reason}}, o.refunds...)
}

// Notes returns the order's notes.
func (h *Handler) Notes(orderID string) []Note {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.orders[orderID]; o != nil {
		return append([]Note(nil), o.notes...)
	}
	return nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c := Call{Method: r.Method, Path: r.URL.RequestURI()}
	_ = json.Unmarshal(raw, &c.Body)
	key, secret, ok := r.BasicAuth()
	c.AuthOK = ok && key == h.key && secret == h.secret

	rest, found := strings.CutPrefix(r.URL.Path, routePrefix)
	id, sub, _ := strings.Cut(rest, "/")
	hook, isHook := strings.CutPrefix(r.URL.Path, apiRoot+"/webhooks")
	switch {
	case r.URL.Path == apiRoot+"/orders" && r.Method == http.MethodGet:
		c.Route = ListOrders
	case isHook && hook == "" && r.Method == http.MethodGet:
		c.Route = ListWebhooks
	case isHook && hook == "" && r.Method == http.MethodPost:
		c.Route = CreateWebhook
	case isHook && strings.HasPrefix(hook, "/") && r.Method == http.MethodPut:
		c.Route = UpdateWebhook
		c.OrderID = ""
	case !found || id == "":
	case sub == "" && r.Method == http.MethodGet:
		c.Route = GetOrder
	case sub == "" && r.Method == http.MethodPut:
		c.Route = UpdateOrder
	case sub == "refunds" && r.Method == http.MethodGet:
		c.Route = ListRefunds
	case sub == "refunds" && r.Method == http.MethodPost:
		c.Route = CreateRefund
	case sub == "notes" && r.Method == http.MethodGet:
		c.Route = ListNotes
	case sub == "notes" && r.Method == http.MethodPost:
		c.Route = CreateNote
	}
	if found {
		c.OrderID = id
	}

	h.mu.Lock()
	status, header, body := h.serve(&c, r)
	c.Status = status
	h.calls = append(h.calls, c)
	onCall := h.OnCall
	h.mu.Unlock()
	if onCall != nil {
		onCall(c)
	}
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// serve carries a call out under h.mu and returns the answer.
func (h *Handler) serve(c *Call, r *http.Request) (int, http.Header, any) {
	if c.Route == "" {
		return http.StatusNotFound, nil, wpError("rest_no_route", "No route was found matching the URL and request method.", http.StatusNotFound)
	}
	if !c.AuthOK {
		return http.StatusUnauthorized, nil, wpError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", http.StatusUnauthorized)
	}
	if a := h.outage; a != nil {
		return a.Status, a.Header, a.body(r, "Store unavailable.")
	}
	var fail *Answer
	if q := h.script[c.Route]; len(q) > 0 {
		fail, h.script[c.Route] = &q[0], q[1:]
		if !fail.Apply {
			return fail.Status, fail.Header, fail.body(r, "Scripted failure.")
		}
	}
	if status, header, body, ok := h.serveBoundary(c, r); ok {
		if fail != nil {
			return fail.Status, fail.Header, fail.body(r, "Scripted failure after the change.")
		}
		return status, header, body
	}
	o := h.orders[c.OrderID]
	if o == nil {
		o = &order{status: "processing"}
		h.orders[c.OrderID] = o
	}
	status, header, body := http.StatusOK, http.Header{}, any(nil)
	switch c.Route {
	case UpdateOrder:
		if s, ok := c.Body["status"].(string); ok {
			o.status = s
			o.touch(h.now())
		}
		body = map[string]any{"id": json.Number(c.OrderID), "status": o.status}
	case ListRefunds:
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per <= 0 {
			per = 10
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		from, to := min((page-1)*per, len(o.refunds)), min(page*per, len(o.refunds))
		header.Set("X-WP-Total", strconv.Itoa(len(o.refunds)))
		header.Set("X-WP-TotalPages", strconv.Itoa((len(o.refunds)+per-1)/per))
		body = append([]Refund{}, o.refunds[from:to]...)
	case CreateRefund:
		amount, _ := c.Body["amount"].(string)
		reason, _ := c.Body["reason"].(string)
		apiRefund, _ := c.Body["api_refund"].(bool)
		h.nextID++
		ref := Refund{ID: h.nextID, Amount: amount, Reason: reason, APIRefund: apiRefund}
		ref.APIRestock, _ = c.Body["api_restock"].(bool)
		if items, ok := c.Body["line_items"].([]any); ok {
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					ref.LineItems = append(ref.LineItems, m)
				}
			}
		}
		o.refunds = append([]Refund{ref}, o.refunds...) // newest first, as WooCommerce lists them
		status, body = http.StatusCreated, ref
	case ListNotes:
		body = append([]Note{}, o.notes...)
	case CreateNote:
		text, _ := c.Body["note"].(string)
		customer, _ := c.Body["customer_note"].(bool)
		h.nextID++
		n := Note{ID: h.nextID, Note: text, CustomerNote: customer}
		o.notes = append([]Note{n}, o.notes...)
		status, body = http.StatusCreated, n
	}
	if fail != nil {
		return fail.Status, fail.Header, fail.body(r, "Scripted failure after the change.")
	}
	return status, header, body
}

// body is the answer's WP error body: its Message of r, else msg.
func (a *Answer) body(r *http.Request, msg string) map[string]any {
	if a.Message != nil {
		msg = a.Message(r)
	}
	return wpError("internal_server_error", msg, a.Status)
}

// wpError is the WP REST API's error body.
func wpError(code, msg string, status int) map[string]any {
	return map[string]any{"code": code, "message": msg, "data": map[string]any{"status": status}}
}

// Server is a Handler on a loopback listener.
type Server struct {
	*Handler
	srv *httptest.Server
	URL string // the site URL, for api.base_url
}

// NewServer starts a fake store on 127.0.0.1; Close stops it.
func NewServer(key, secret string) *Server {
	h := NewHandler(key, secret)
	srv := httptest.NewServer(h)
	return &Server{Handler: h, srv: srv, URL: srv.URL}
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// RetryAfter is a header asking to wait d (whole seconds).
func RetryAfter(d time.Duration) http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(int(d / time.Second))}}
}
