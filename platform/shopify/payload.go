package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// inbound is the /orders endpoint: Shopify's verifier and the REST order
// decoder.
type inbound struct {
	*verifier
	shop string
}

var _ platform.Inbound = inbound{}

func newInbound(secrets []string, shop string) (inbound, error) {
	v, err := newVerifier(secrets, shop)
	if err != nil {
		return inbound{}, err
	}
	return inbound{verifier: v, shop: shop}, nil
}

// id is a Shopify id as its digits. Shopify's ids exceed 2^53, so they
// must never pass through a float64: the raw JSON token is kept, whether a
// number or a string of digits. Anything else leaves it invalid, to be
// reported by field rather than abort the decode.
type id struct {
	digits string // "" when null, absent or not an id
	bad    bool
}

func (i *id) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if platform.Digits(s, 20) {
		i.digits = s
	} else {
		i.bad = true
	}
	return nil
}

// variantID is a line's variant_id, read as an id is, but kept as its
// digits in place rather than as a string: the mapping needs it only for a
// line without a sku, so most are never written out as one.
type variantID struct {
	digits [20]byte // the first n bytes; 20 is the most Digits takes
	n      uint8    // 0 when null, absent or not an id
}

func (v *variantID) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	if len(b) == 0 || len(b) > len(v.digits) {
		return nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return nil // null, or not an id: as id leaves its digits
		}
	}
	v.n = uint8(copy(v.digits[:], b))
	return nil
}

// variantOf keeps an id's digits as a variantID.
func variantOf(i id) variantID {
	var v variantID
	v.n = uint8(copy(v.digits[:], i.digits))
	return v
}

// orderWire is the part of Shopify's REST order (the body of every orders/*
// webhook) the mapping reads.
type orderWire struct {
	ID                id                `json:"id"`
	CreatedAt         string            `json:"created_at"`
	UpdatedAt         string            `json:"updated_at"`
	CancelledAt       *string           `json:"cancelled_at"`
	FinancialStatus   *string           `json:"financial_status"`
	FulfillmentStatus *string           `json:"fulfillment_status"`
	Currency          string            `json:"currency"`
	TotalPrice        string            `json:"total_price"`
	Customer          *customerWire     `json:"customer"`
	LineItems         []lineItemWire    `json:"line_items"`
	Fulfillments      []fulfillmentWire `json:"fulfillments"`
}

type customerWire struct {
	ID id `json:"id"`
}

type lineItemWire struct {
	ID              id           `json:"id"`
	SKU             *string      `json:"sku"`
	VariantID       variantID    `json:"variant_id"`
	Quantity        json.Number  `json:"quantity"`
	CurrentQuantity *json.Number `json:"current_quantity"`
	// FulfillableQuantity is what is left to fulfil of current_quantity.
	FulfillableQuantity *json.Number `json:"fulfillable_quantity"`
	Price               string       `json:"price"`
}

type fulfillmentWire struct {
	Status         string  `json:"status"`
	ShipmentStatus *string `json:"shipment_status"`
	CreatedAt      string  `json:"created_at"`
}

// Decode maps a verified orders/* delivery to an order snapshot. Another
// topic, or an orders/* topic whose body is not an order (orders/delete
// carries only the id, orders/edited an order_edit), is ErrIgnored.
func (in inbound) Decode(kind platform.Kind, h http.Header, body []byte) (platform.Event, error) {
	if kind != platform.KindOrders {
		return platform.Event{}, invalid("", "this endpoint takes no "+string(kind))
	}
	topic := header(h, headerTopic)
	if !strings.HasPrefix(topic, "orders/") {
		return platform.Event{}, fmt.Errorf("topic %q: %w", truncate(topic, 64), platform.ErrIgnored)
	}
	if topic == "orders/delete" || topic == "orders/edited" {
		return platform.Event{}, fmt.Errorf("topic %s carries no order: %w", topic, platform.ErrIgnored)
	}
	o, err := decodeOrder(body, in.shop)
	if err != nil {
		return platform.Event{}, err
	}
	t := platform.OrderUpdated
	if topic == "orders/create" {
		t = platform.OrderCreated
	}
	return platform.Event{Type: t, Order: o}, nil
}

// decodeOrder maps one REST order to the domain, reporting every broken
// field at once.
func decodeOrder(body []byte, shop string) (*platform.Order, error) {
	// json.Unmarshal refuses trailing data; ids and quantities never
	// become floats (see id and json.Number).
	var w orderWire
	if err := json.Unmarshal(body, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, invalid(te.Field, "must not be a JSON "+te.Value)
		}
		return nil, invalid("", "malformed JSON")
	}
	return mapOrder(&w, shop)
}

// mapOrder maps one order, as a webhook or the Admin API's order query
// (read.go) gives it, to the domain.
func mapOrder(w *orderWire, shop string) (*platform.Order, error) {
	var errs []platform.FieldError
	bad := func(field, msg string) { errs = append(errs, platform.FieldError{Field: field, Message: msg}) }

	o := &platform.Order{SellerID: shop, Status: status(w)}
	if w.ID.digits == "" {
		bad("id", "must be the order's numeric id")
	}
	o.ID = w.ID.digits
	o.PlacedAt = parseTime(w.CreatedAt, "created_at", bad)
	o.UpdatedAt = parseTime(w.UpdatedAt, "updated_at", bad)
	o.BuyerID = Guest
	// customer is null for a guest checkout, and its id null once the
	// customer was deleted (their data redacted): both are guests.
	if w.Customer != nil {
		switch {
		case w.Customer.ID.bad:
			bad("customer.id", "must be the customer's numeric id")
		case w.Customer.ID.digits != "":
			o.BuyerID = w.Customer.ID.digits
		}
	}
	if !platform.CurrencyCode(w.Currency) {
		bad("currency", "must be an ISO 4217 code like USD")
	}
	if !decimal(w.TotalPrice) {
		bad("total_price", `must be a decimal string like "42.50"`)
	}
	o.Total = platform.Money{Amount: w.TotalPrice, Currency: w.Currency}
	for i, li := range w.LineItems {
		field := "line_items[" + strconv.Itoa(i) + "]"
		q := li.Quantity
		if li.CurrentQuantity != nil {
			q = *li.CurrentQuantity
		}
		n, err := strconv.Atoi(q.String())
		if err != nil || n < 0 {
			bad(field+".quantity", "must be a whole number, 0 or more")
			continue
		}
		if n == 0 {
			continue // removed by an edit, or refunded
		}
		if !decimal(li.Price) {
			bad(field+".price", `must be a decimal string like "42.50"`)
			continue
		}
		sku := ""
		if li.SKU != nil {
			sku = *li.SKU
		}
		switch {
		case sku != "":
		case li.VariantID.n > 0:
			sku = "variant-" + string(li.VariantID.digits[:li.VariantID.n])
		case li.ID.digits != "":
			sku = "line-" + li.ID.digits
		default:
			bad(field+".sku", "a line needs a sku, a variant_id or an id")
			continue
		}
		if len(sku) > 128 {
			sku = sku[:128]
		}
		item := platform.Item{SKU: sku, Quantity: n, Price: li.Price, LineID: li.ID.digits}
		// quantity − current_quantity were taken off the line on Shopify
		// (edits, refunds, cancelsync's own line cancellations), and of
		// current_quantity what is not fulfillable is fulfilled.
		if ordered, err := strconv.Atoi(li.Quantity.String()); err == nil && ordered > n {
			item.Removed = ordered - n
		}
		if li.FulfillableQuantity != nil {
			f, err := strconv.Atoi(li.FulfillableQuantity.String())
			if err != nil || f < 0 {
				bad(field+".fulfillable_quantity", "must be a whole number, 0 or more")
				continue
			}
			item.Fulfilled = max(0, n-f)
		}
		if o.Items == nil {
			// One make, for this line and every one after it; an order
			// with no line kept keeps nil items.
			o.Items = make([]platform.Item, 0, len(w.LineItems)-i)
		}
		o.Items = append(o.Items, item)
	}
	for i, f := range w.Fulfillments {
		if f.Status != "success" {
			continue
		}
		at := parseTime(f.CreatedAt, "fulfillments["+strconv.Itoa(i)+"].created_at", bad)
		if !at.IsZero() && (o.ShippedAt == nil || at.Before(*o.ShippedAt)) {
			o.ShippedAt = &at
		}
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
		return nil, &platform.ValidationError{Errors: errs}
	}
	return o, nil
}

// status reads our status from the order's fields, first match wins
// (docs/SHOPIFY.md); never from the topic, since
// Shopify's own samples reuse one order for every topic.
func status(w *orderWire) platform.OrderStatus {
	if w.CancelledAt != nil && *w.CancelledAt != "" {
		return platform.StatusCancelled
	}
	success, delivered, open := 0, 0, false
	for _, f := range w.Fulfillments {
		switch f.Status {
		case "success":
			success++
			if f.ShipmentStatus != nil && *f.ShipmentStatus == "delivered" {
				delivered++
			}
		case "open":
			open = true
		}
	}
	if success > 0 && delivered == success {
		return platform.StatusDelivered
	}
	if fs := deref(w.FulfillmentStatus); fs == "fulfilled" || fs == "partial" || success > 0 || open {
		return platform.StatusShipped
	}
	switch deref(w.FinancialStatus) {
	case "paid", "partially_paid", "partially_refunded", "refunded":
		return platform.StatusPaid
	}
	return platform.StatusPlaced
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseTime reads an RFC 3339 time with any offset and keeps its instant
// (in UTC); a missing, malformed or out-of-range one is reported.
func parseTime(s, field string, bad func(string, string)) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		bad(field, "must be an RFC 3339 time")
		return time.Time{}
	}
	if !platform.InTimeRange(t) {
		bad(field, "must be between 2000-01-01 and 2100-01-01")
		return time.Time{}
	}
	return t.UTC()
}

// decimal reports whether s is a plain decimal amount ("42", "42.50").
func decimal(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return platform.Digits(whole, 18) && (!dot || platform.Digits(frac, 4))
}

func invalid(field, msg string) *platform.ValidationError {
	return &platform.ValidationError{Errors: []platform.FieldError{{Field: field, Message: msg}}}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
