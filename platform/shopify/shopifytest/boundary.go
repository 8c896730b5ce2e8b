package shopifytest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Admin GraphQL reads and webhook subscriptions, for the live check,
// the reconciliation poll and connect (docs/API.md §13), shaped like
// shopify.dev/docs/api/admin-graphql/latest:
//   - queries/order: order(id:) → an Order, or null for an unknown id.
//   - queries/orders: orders(first, after, query: "updated_at:>='…'",
//     sortKey: UPDATED_AT) → nodes, pageInfo { hasNextPage endCursor }.
//   - objects/Order: legacyResourceId, createdAt, updatedAt, cancelledAt,
//     displayFinancialStatus, displayFulfillmentStatus, currencyCode,
//     totalPriceSet.shopMoney, customer.legacyResourceId, lineItems
//     (sku, quantity, currentQuantity, fulfillableQuantity, variant, originalUnitPriceSet),
//     fulfillments (status SUCCESS | OPEN | CANCELLED…, displayStatus).
//   - queries/webhookSubscriptions(topics:), mutations/webhookSubscriptionCreate
//     (topic, webhookSubscription { uri, format }) → webhookSubscription, userErrors.
//   - extensions.cost { requestedQueryCost, actualQueryCost, throttleStatus
//     { maximumAvailable, currentlyAvailable, restoreRate } }, and THROTTLED
//     when the bucket cannot hold a query's requested cost
//     (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits: a leaky
//     bucket per app and store, 100 points/second restored on Standard; a
//     single query may not request more than 1,000 points).

// Order is one order the fake holds, in the terms of Shopify's Order object.
type Order struct {
	ID                string // digits
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CancelledAt       *time.Time
	FinancialStatus   string // PAID, PENDING, AUTHORIZED, REFUNDED, ...
	FulfillmentStatus string // UNFULFILLED, FULFILLED, PARTIALLY_FULFILLED, ...
	// Fulfillments are (status, displayStatus) pairs: {"SUCCESS", "IN_TRANSIT"}.
	Fulfillments [][2]string
	Currency     string
	Total        string // a Decimal, as GraphQL writes it: "199.0"
	CustomerID   string // "" for a guest
	Lines        []Line
}

// Line is one line item.
type Line struct {
	ID       string
	SKU      string
	Quantity int
	Price    string
	// Fulfilled units; fulfillableQuantity is Quantity less these.
	Fulfilled int
}

// Bucket is the leaky bucket of query cost.
type Bucket struct {
	Max     float64 // maximumAvailable, default 2000
	Restore float64 // restoreRate per second, default 100
}

type boundary struct {
	mu        sync.Mutex
	orders    map[string]*Order
	subs      []Subscription
	bucket    Bucket
	available float64
	at        time.Time
	reads     []Answer            // scripted answers of the next reads
	opReads   map[string][]Answer // scripted answers of the next reads of one operation
	spent     float64             // points actually charged
	nextSub   int
}

// Subscription is one webhook subscription the fake holds.
type Subscription struct {
	ID     string `json:"id"`
	Topic  string `json:"topic"`
	Format string `json:"format"`
	URI    string `json:"uri"`
}

func (h *Handler) b() *boundary {
	h.once.Do(func() {
		h.bd = &boundary{orders: map[string]*Order{}, bucket: Bucket{Max: 2000, Restore: 100}, available: 2000, at: time.Now()}
	})
	return h.bd
}

// PutOrder gives the fake an order (or a new state of one) that order and
// orders show; nothing is sent to cancelsync.
func (h *Handler) PutOrder(o Order) {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	cp := o
	b.orders[o.ID] = &cp
}

// SetBucket sets the cost budget, full.
func (h *Handler) SetBucket(bk Bucket) {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bucket, b.available, b.at = bk, bk.Max, time.Now()
}

// ScriptReads queues answers for the next reads (order, orders,
// webhookSubscriptions), in order: ThrottledAnswer, a 429, a 503.
func (h *Handler) ScriptReads(as ...Answer) {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reads = append(b.reads, as...)
}

// ScriptReadsOf queues answers for the next reads of operation op only
// ("order", "orders", "webhookSubscriptions"), in order; the reads
// ScriptReads queued come first.
func (h *Handler) ScriptReadsOf(op string, as ...Answer) {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.opReads == nil {
		b.opReads = map[string][]Answer{}
	}
	b.opReads[op] = append(b.opReads[op], as...)
}

// Spent is the query cost charged so far.
func (h *Handler) Spent() float64 {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.spent
}

// Subscriptions returns the webhook subscriptions the fake holds.
func (h *Handler) Subscriptions() []Subscription {
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Subscription(nil), b.subs...)
}

var (
	linesFirst = regexp.MustCompile(`lineItems\(first:\s*(\d+)\)`)
	sinceQuery = regexp.MustCompile(`updated_at:>='?([^' ]+)'?`)
)

// operation names the root field a document asks for.
func operation(q string) string {
	for _, op := range []string{"orderCancel(", "webhookSubscriptionCreate(", "webhookSubscriptions(", "orders(", "order("} {
		if strings.Contains(q, op) {
			return strings.TrimSuffix(op, "(")
		}
	}
	return ""
}

// restore refills the bucket up to now.
func (b *boundary) restore(now time.Time) {
	b.available = math.Min(b.bucket.Max, b.available+now.Sub(b.at).Seconds()*b.bucket.Restore)
	b.at = now
}

// costOf is the requested cost of one document: an object costs 1, a
// connection 2 plus its first argument times its node's cost.
func costOf(op, q string, first int) float64 {
	lines := 0
	if m := linesFirst.FindStringSubmatch(q); m != nil {
		lines, _ = strconv.Atoi(m[1])
	}
	perOrder := 5 + 4*float64(lines) // order, price set, money, customer, fulfillments; a line with its variant and price
	switch op {
	case "order":
		return 1 + perOrder
	case "orders":
		return 2 + float64(first)*perOrder
	case "webhookSubscriptions":
		return 2 + 100
	case "webhookSubscriptionCreate":
		return 10
	}
	return 1
}

// actual is what a read returned costs.
func actual(op string, orders []*Order) float64 {
	sum := 0.0
	for _, o := range orders {
		sum += 5 + 4*float64(len(o.Lines))
	}
	if op == "orders" {
		return 2 + sum
	}
	if op == "order" {
		return 1 + sum
	}
	return 10
}

// serveRead answers a read or subscription call; ok false for orderCancel.
func (h *Handler) serveRead(c Call) (Answer, bool) {
	op := operation(c.Query)
	if op == "orderCancel" || op == "" {
		return Answer{}, false
	}
	b := h.b()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.reads) > 0 {
		a := b.reads[0]
		b.reads = b.reads[1:]
		return a, true
	}
	if as := b.opReads[op]; len(as) > 0 {
		b.opReads[op] = as[1:]
		return as[0], true
	}
	now := time.Now()
	b.restore(now)
	first := 0
	_ = json.Unmarshal(c.Variables["first"], &first)
	requested := costOf(op, c.Query, first)
	lines := 0 // what lineItems(first:) asks for; beyond it, hasNextPage
	if m := linesFirst.FindStringSubmatch(c.Query); m != nil {
		lines, _ = strconv.Atoi(m[1])
	}
	if requested > 1000 {
		return Answer{Body: fmt.Sprintf(`{"errors":[{"message":"Query cost is %.0f, which exceeds the single query max cost limit (1000).","extensions":{"code":"MAX_COST_EXCEEDED","cost":%.0f,"maxCost":1000}}]}`, requested, requested)}, true
	}
	if b.available < requested {
		return Answer{Body: fmt.Sprintf(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],"extensions":{"cost":{"requestedQueryCost":%.0f,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":%.1f,"currentlyAvailable":%.0f,"restoreRate":%.1f}}}}`,
			requested, b.bucket.Max, math.Floor(b.available), b.bucket.Restore)}, true
	}
	var data any
	var charged []*Order
	switch op {
	case "order":
		var gid string
		_ = json.Unmarshal(c.Variables["id"], &gid)
		o := b.orders[gid[strings.LastIndexByte(gid, '/')+1:]]
		if o != nil {
			charged = []*Order{o}
			data = map[string]any{"order": o.node(lines)}
		} else {
			data = map[string]any{"order": nil}
		}
	case "orders":
		data, charged = b.list(c, first, lines)
	case "webhookSubscriptions":
		data = map[string]any{"webhookSubscriptions": map[string]any{"nodes": append([]Subscription{}, b.subs...)}}
	case "webhookSubscriptionCreate":
		data = b.create(c)
	}
	spent := actual(op, charged)
	b.available -= spent
	b.spent += spent
	out, _ := json.Marshal(map[string]any{"data": data, "extensions": map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested, "actualQueryCost": spent,
		"throttleStatus": map[string]any{"maximumAvailable": b.bucket.Max, "currentlyAvailable": math.Floor(b.available), "restoreRate": b.bucket.Restore},
	}}})
	return Answer{Body: string(out)}, true
}

// list is one page of orders updated at or after the query's time, by
// updated_at then id; the cursor is the index of the next one.
func (b *boundary) list(c Call, first, lines int) (any, []*Order) {
	var query, after string
	_ = json.Unmarshal(c.Variables["query"], &query)
	_ = json.Unmarshal(c.Variables["after"], &after)
	var since time.Time
	if m := sinceQuery.FindStringSubmatch(query); m != nil {
		since, _ = time.Parse(time.RFC3339, m[1])
	}
	var all []*Order
	for _, o := range b.orders {
		if !o.UpdatedAt.Before(since) {
			all = append(all, o)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].UpdatedAt.Equal(all[j].UpdatedAt) {
			return all[i].UpdatedAt.Before(all[j].UpdatedAt)
		}
		return all[i].ID < all[j].ID
	})
	from, _ := strconv.Atoi(after)
	from = min(from, len(all))
	to := min(from+max(first, 1), len(all))
	nodes := make([]any, 0, to-from)
	for _, o := range all[from:to] {
		nodes = append(nodes, o.node(lines))
	}
	page := map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": to < len(all), "endCursor": strconv.Itoa(to)}}
	return map[string]any{"orders": page}, all[from:to]
}

func (b *boundary) create(c Call) any {
	var topic string
	var in struct {
		URI    string `json:"uri"`
		Format string `json:"format"`
	}
	_ = json.Unmarshal(c.Variables["topic"], &topic)
	_ = json.Unmarshal(c.Variables["sub"], &in)
	if in.URI == "" {
		return map[string]any{"webhookSubscriptionCreate": map[string]any{"webhookSubscription": nil,
			"userErrors": []any{map[string]any{"field": []string{"webhookSubscription", "uri"}, "message": "Address can't be blank"}}}}
	}
	b.nextSub++
	s := Subscription{ID: fmt.Sprintf("gid://shopify/WebhookSubscription/%d", 9000+b.nextSub), Topic: topic, Format: in.Format, URI: in.URI}
	b.subs = append(b.subs, s)
	return map[string]any{"webhookSubscriptionCreate": map[string]any{"webhookSubscription": s, "userErrors": []any{}}}
}

// node is the order as the Order object, with its first maxLines lines
// (all of them when 0) and hasNextPage when there are more.
func (o *Order) node(maxLines int) map[string]any {
	var cancelled any
	if o.CancelledAt != nil {
		cancelled = o.CancelledAt.UTC().Format(time.RFC3339)
	}
	var customer any
	if o.CustomerID != "" {
		customer = map[string]any{"legacyResourceId": o.CustomerID}
	}
	fs := []any{}
	for _, f := range o.Fulfillments {
		fs = append(fs, map[string]any{"status": f[0], "displayStatus": f[1], "createdAt": o.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	lines := []any{}
	more := maxLines > 0 && len(o.Lines) > maxLines
	for i, l := range o.Lines {
		if maxLines > 0 && i == maxLines {
			break
		}
		id := l.ID
		if id == "" {
			id = strconv.Itoa(7000 + i)
		}
		lines = append(lines, map[string]any{
			"id": "gid://shopify/LineItem/" + id, "sku": l.SKU, "quantity": l.Quantity, "currentQuantity": l.Quantity, "fulfillableQuantity": l.Quantity - l.Fulfilled,
			"variant": nil, "originalUnitPriceSet": map[string]any{"shopMoney": map[string]any{"amount": l.Price, "currencyCode": o.Currency}},
		})
	}
	return map[string]any{
		"legacyResourceId": o.ID, "createdAt": o.CreatedAt.UTC().Format(time.RFC3339), "updatedAt": o.UpdatedAt.UTC().Format(time.RFC3339),
		"cancelledAt": cancelled, "displayFinancialStatus": o.FinancialStatus, "displayFulfillmentStatus": o.FulfillmentStatus,
		"currencyCode": o.Currency, "totalPriceSet": map[string]any{"shopMoney": map[string]any{"amount": o.Total, "currencyCode": o.Currency}},
		"customer": customer, "fulfillments": fs,
		"lineItems": map[string]any{"nodes": lines, "pageInfo": map[string]any{"hasNextPage": more}},
	}
}
