package wootest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The REST API's order reads and webhooks, for the live check, the
// reconciliation poll and connect (docs/API.md §13), shaped like
// developer.woocommerce.com/docs/apis/rest-api/v3/:
//   - GET /orders/{id}: the order object, or 404 woocommerce_rest_shop_order_invalid_id
//     ("Retrieve an order").
//   - GET /orders?modified_after=&dates_are_gmt=true&per_page=&page=&orderby=modified&order=asc:
//     an array, with X-WP-Total and X-WP-TotalPages ("List all orders";
//     per_page at most 100, as the REST API's collections).
//   - GET/POST /webhooks, PUT /webhooks/{id}: id, name, status (active,
//     paused, disabled), topic, resource, event, delivery_url, secret
//     ("Webhooks", "Webhook properties").

// gmtLayout is how the REST API writes *_gmt dates.
const gmtLayout = "2006-01-02T15:04:05"

// Webhook is one webhook the fake holds.
type Webhook struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Topic       string `json:"topic"`
	Resource    string `json:"resource"`
	Event       string `json:"event"`
	DeliveryURL string `json:"delivery_url"`
	Secret      string `json:"secret"`
}

// PutOrder gives the fake a whole order (a REST order object, as its
// webhook carries it): GET /orders/{id} and the list show it, with the
// status the fake holds. A later PutOrder of the same id replaces it, as
// an edit in the store would: nothing is sent to cancelsync.
func (h *Handler) PutOrder(body []byte) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		panic("wootest: PutOrder: " + err.Error())
	}
	id := strings.Trim(string(mustJSON(m["id"])), `"`)
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.orders[id]
	if o == nil {
		o = &order{}
		h.orders[id] = o
	}
	o.body = m
	if s, ok := m["status"].(string); ok {
		o.status = s
	}
}

// touch marks the order modified at now, as WooCommerce does on a change.
func (o *order) touch(now time.Time) {
	if o.body != nil {
		o.body["date_modified_gmt"] = now.UTC().Format(gmtLayout)
	}
}

// AddWebhook adds a webhook as the merchant or WooCommerce left it
// ("disabled": WooCommerce turned it off after failed deliveries).
func (h *Handler) AddWebhook(topic, deliveryURL, status string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addWebhook(Webhook{Name: topic, Topic: topic, DeliveryURL: deliveryURL, Status: status})
}

func (h *Handler) addWebhook(w Webhook) int {
	h.nextID++
	w.ID = h.nextID
	w.Resource, w.Event, _ = strings.Cut(w.Topic, ".")
	h.webhooks = append(h.webhooks, &w)
	return w.ID
}

// Webhooks returns the webhooks the fake holds.
func (h *Handler) Webhooks() []Webhook {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Webhook, len(h.webhooks))
	for i, w := range h.webhooks {
		out[i] = *w
	}
	return out
}

// view is the order as GET shows it.
func (o *order) view() map[string]any {
	m := make(map[string]any, len(o.body))
	for k, v := range o.body {
		m[k] = v
	}
	m["status"] = o.status
	return m
}

// serveBoundary answers the read and webhook routes; ok false for others.
func (h *Handler) serveBoundary(c *Call, r *http.Request) (status int, header http.Header, body any, ok bool) {
	header = http.Header{}
	switch c.Route {
	case GetOrder:
		o := h.orders[c.OrderID]
		if o == nil || o.body == nil {
			return http.StatusNotFound, nil, wpError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", http.StatusNotFound), true
		}
		return http.StatusOK, header, o.view(), true
	case ListOrders:
		q := r.URL.Query()
		if q.Get("dates_are_gmt") != "true" {
			return http.StatusBadRequest, nil, wpError("rest_invalid_param", "cancelsync's fake expects dates_are_gmt=true", http.StatusBadRequest), true
		}
		after, err := time.Parse(gmtLayout, strings.TrimSuffix(q.Get("modified_after"), "Z"))
		if q.Get("modified_after") != "" && err != nil {
			return http.StatusBadRequest, nil, wpError("rest_invalid_param", "Invalid parameter(s): modified_after", http.StatusBadRequest), true
		}
		type row struct {
			at time.Time
			id int
			v  map[string]any
		}
		var rows []row
		for id, o := range h.orders {
			if o.body == nil {
				continue
			}
			s, _ := o.body["date_modified_gmt"].(string)
			at, _ := time.Parse(gmtLayout, s)
			if !at.After(after) {
				continue
			}
			n, _ := strconv.Atoi(id)
			rows = append(rows, row{at, n, o.view()})
		}
		sort.Slice(rows, func(i, j int) bool {
			if !rows[i].at.Equal(rows[j].at) {
				return rows[i].at.Before(rows[j].at)
			}
			return rows[i].id < rows[j].id
		})
		per, _ := strconv.Atoi(q.Get("per_page"))
		if per <= 0 || per > 100 {
			per = 10
		}
		page := max(1, atoi(q.Get("page")))
		from, to := min((page-1)*per, len(rows)), min(page*per, len(rows))
		out := make([]map[string]any, 0, to-from)
		for _, rw := range rows[from:to] {
			out = append(out, rw.v)
		}
		header.Set("X-WP-Total", strconv.Itoa(len(rows)))
		header.Set("X-WP-TotalPages", strconv.Itoa((len(rows)+per-1)/per))
		return http.StatusOK, header, out, true
	case ListWebhooks:
		out := make([]Webhook, 0, len(h.webhooks))
		for _, w := range h.webhooks {
			out = append(out, *w)
		}
		header.Set("X-WP-Total", strconv.Itoa(len(out)))
		header.Set("X-WP-TotalPages", "1")
		return http.StatusOK, header, out, true
	case CreateWebhook:
		w := Webhook{Status: "active"}
		w.Name, _ = c.Body["name"].(string)
		w.Topic, _ = c.Body["topic"].(string)
		w.DeliveryURL, _ = c.Body["delivery_url"].(string)
		w.Secret, _ = c.Body["secret"].(string)
		if s, ok := c.Body["status"].(string); ok {
			w.Status = s
		}
		if w.Topic == "" || w.DeliveryURL == "" {
			return http.StatusBadRequest, nil, wpError("rest_missing_callback_param", "Missing parameter(s): topic, delivery_url", http.StatusBadRequest), true
		}
		id := h.addWebhook(w)
		return http.StatusCreated, header, *h.webhooks[len(h.webhooks)-1], id > 0
	case UpdateWebhook:
		id := atoi(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, apiRoot+"/webhooks"), "/"))
		for _, w := range h.webhooks {
			if w.ID == id {
				if s, ok := c.Body["status"].(string); ok {
					w.Status = s
				}
				return http.StatusOK, header, *w, true
			}
		}
		return http.StatusNotFound, nil, wpError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", http.StatusNotFound), true
	}
	return 0, nil, nil, false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
