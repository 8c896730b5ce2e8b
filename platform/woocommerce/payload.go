package woocommerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
)

// Guest is the buyer id of an order without a customer account
// (customer_id 0).
const Guest = "guest"

// inbound is the /orders endpoint of a WooCommerce adapter: the HMAC check,
// the creation ping and the order mapping. It is safe for concurrent use.
type inbound struct {
	*verifier
	// statusMap is policy.status_map: the store's own statuses to ours.
	statusMap map[string]platform.OrderStatus
}

var (
	_ platform.Inbound = inbound{}
	_ platform.Pinger  = inbound{}
)

func newInbound(secrets []string, statusMap map[string]string) (inbound, error) {
	v, err := newVerifier(secrets)
	if err != nil {
		return inbound{}, err
	}
	in := inbound{verifier: v, statusMap: make(map[string]platform.OrderStatus, len(statusMap))}
	for k, s := range statusMap {
		in.statusMap[k] = platform.OrderStatus(s)
	}
	return in, nil
}

// orderWire is the part of a WooCommerce order (REST API v3, "Order
// properties") that cancelsync reads. Ids and quantities are JSON numbers,
// kept as json.Number so that no float touches them; amounts may be JSON
// numbers or strings (see amount).
type orderWire struct {
	ID              json.Number `json:"id"`
	Status          *string     `json:"status"`
	Currency        string      `json:"currency"`
	DateCreatedGMT  *string     `json:"date_created_gmt"`
	DateModifiedGMT *string     `json:"date_modified_gmt"`
	Total           amount      `json:"total"`
	CustomerID      json.Number `json:"customer_id"`
	LineItems       []itemWire  `json:"line_items"`
}

type itemWire struct {
	ID        json.Number `json:"id"`
	ProductID json.Number `json:"product_id"`
	Quantity  json.Number `json:"quantity"`
	SKU       *string     `json:"sku"` // null when the product was deleted
	Price     amount      `json:"price"`
}

// amount is a money value as WooCommerce writes it: "29.35" for totals, a
// JSON number for line item prices (total / quantity, so 3.3333333333333335
// happens). It keeps the literal text; null is "".
type amount string

func (a *amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*a = ""
	case len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0:
		// encoding/json has already checked the whole body: a string
		// without escapes is its bytes between the quotes.
		*a = amount(b[1 : len(b)-1])
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		*a = amount(b) // a number, checked likewise
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = amount(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*a = amount(n)
	}
	return nil
}

// Limits of what is accepted. maxIdent is the id rule of package platform
// (fields.go); maxAmountText bounds the text of an amount before it is parsed.
const (
	maxIdent      = platform.MaxIDLen
	maxSKU        = 128
	maxAmountText = 64
	maxExponent   = 40
	maxAmountLen  = 32 // of the written amount, as the v1 payloads
	maxQuantity   = 1_000_000_000
)

// Decode maps a verified order webhook to an order snapshot. Topics other
// than order.created and order.updated, and orders in checkout-draft or
// trash, are ErrIgnored; a status that is neither WooCommerce's nor in
// policy.status_map is a *ValidationError naming it.
func (in inbound) Decode(kind platform.Kind, h http.Header, body []byte) (platform.Event, error) {
	if kind != platform.KindOrders {
		return platform.Event{}, invalid("", "this endpoint takes no "+string(kind))
	}
	topic := h.Get(HeaderTopic)
	var typ platform.EventType
	switch topic {
	case "order.created":
		typ = platform.OrderCreated
	case "order.updated":
		typ = platform.OrderUpdated
	case "":
		return platform.Event{}, invalid(HeaderTopic, "header is required")
	default:
		return platform.Event{}, fmt.Errorf("topic %q: %w", truncate(topic, 64), platform.ErrIgnored)
	}
	o, err := in.decodeOrder(h, body)
	if err != nil {
		return platform.Event{}, err
	}
	return platform.Event{Type: typ, Order: o}, nil
}

func (in inbound) decodeOrder(h http.Header, body []byte) (*platform.Order, error) {
	var w orderWire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, malformed(err)
	}
	var errs []platform.FieldError
	bad := func(field, msg string) { errs = append(errs, platform.FieldError{Field: field, Message: msg}) }

	var status platform.OrderStatus
	if w.Status == nil {
		bad("status", "is required")
	} else {
		st, ignored, ok := in.status(*w.Status)
		switch {
		case ignored:
			return nil, fmt.Errorf("status %q: %w", *w.Status, platform.ErrIgnored)
		case !ok:
			bad("status", fmt.Sprintf("unknown WooCommerce status %q: map it to one of ours in policy.status_map", truncate(*w.Status, 32)))
		}
		status = st
	}

	o := &platform.Order{Status: status}
	switch id := w.ID.String(); {
	case id == "":
		bad("id", "is required")
	case !platform.Digits(id, maxIdent) || strings.TrimLeft(id, "0") == "":
		bad("id", "must be a positive integer")
	default:
		o.ID = id
	}
	o.PlacedAt = parseGMT(w.DateCreatedGMT, "date_created_gmt", bad)
	o.UpdatedAt = o.PlacedAt
	if w.DateModifiedGMT != nil {
		o.UpdatedAt = parseGMT(w.DateModifiedGMT, "date_modified_gmt", bad)
	}

	switch c := w.CustomerID.String(); {
	case c == "" || c == "0":
		o.BuyerID = Guest
	case !platform.Digits(c, maxIdent):
		bad("customer_id", "must be a non-negative integer")
	default:
		o.BuyerID = c
	}
	o.SellerID = sourceHost(h.Get(HeaderSource))
	if o.SellerID == "" {
		bad(HeaderSource, "header must be the store's URL")
	}

	decimals := 2
	if !platform.CurrencyCode(w.Currency) {
		bad("currency", "must be a 3-letter currency code")
	} else {
		decimals = platform.MinorUnits(w.Currency)
	}
	if t, ok := formatAmount(string(w.Total), decimals); ok {
		o.Total = platform.Money{Amount: t, Currency: w.Currency}
	} else {
		bad("total", "must be a non-negative decimal amount")
	}

	for i, it := range w.LineItems {
		field := "line_items[" + strconv.Itoa(i) + "]"
		q, err := strconv.ParseInt(it.Quantity.String(), 10, 64)
		if err != nil || q < 0 || q > maxQuantity {
			bad(field+".quantity", "must be a non-negative integer")
			continue
		}
		if q == 0 {
			continue // removed from the order
		}
		item := platform.Item{Quantity: int(q)}
		// The line's id makes it cancellable on its own. WooCommerce
		// keeps no fulfilled count per line: a completed order has
		// shipped all of it, any other none.
		if id := it.ID.String(); platform.Digits(id, 20) {
			item.LineID = id
		}
		if o.Status == platform.StatusCompleted {
			item.Fulfilled = item.Quantity
		}
		if it.SKU != nil && *it.SKU != "" {
			item.SKU = *it.SKU
		} else if p := it.ProductID.String(); platform.Digits(p, 20) {
			item.SKU = "product-" + p
		} else {
			bad(field+".product_id", "must be an integer when sku is empty")
		}
		if !utf8.ValidString(item.SKU) || utf8.RuneCountInString(item.SKU) > maxSKU {
			bad(field+".sku", fmt.Sprintf("must be at most %d characters", maxSKU))
		}
		if p, ok := formatAmount(string(it.Price), decimals); ok {
			item.Price = p
		} else {
			bad(field+".price", "must be a non-negative decimal amount")
		}
		if o.Items == nil {
			// One make, for this line and every one after it; an order
			// with no line kept keeps nil items.
			o.Items = make([]platform.Item, 0, len(w.LineItems)-i)
		}
		o.Items = append(o.Items, item)
	}
	if len(errs) > 0 {
		return nil, &platform.ValidationError{Errors: errs}
	}
	return o, nil
}

// status maps a WooCommerce status (the REST API's slug, without "wc-")
// to ours: core statuses by the table of docs/WOOCOMMERCE.md, others through
// policy.status_map. ignored marks an order that is not yet or no longer
// one (a checkout draft, a trashed order).
func (in inbound) status(s string) (st platform.OrderStatus, ignored, ok bool) {
	switch s {
	case "pending", "on-hold", "failed":
		return platform.StatusPlaced, false, true
	case "processing":
		return platform.StatusPaid, false, true
	case "completed":
		return platform.StatusCompleted, false, true
	case "cancelled", "refunded":
		return platform.StatusCancelled, false, true
	case "checkout-draft", "trash":
		return "", true, true
	}
	st, ok = in.statusMap[s]
	return st, false, ok
}

// coreStatus reports whether s is a status WooCommerce core defines, which
// cancelsync maps itself.
func coreStatus(s string) bool {
	_, _, ok := inbound{}.status(s)
	return ok
}

// ourStatus reports whether s is one of cancelsync's order statuses.
func ourStatus(s string) bool {
	switch platform.OrderStatus(s) {
	case platform.StatusPlaced, platform.StatusPaid, platform.StatusShipped,
		platform.StatusDelivered, platform.StatusCompleted, platform.StatusCancelled:
		return true
	}
	return false
}

// gmtLayout is how the REST API writes *_gmt dates: UTC without a zone.
// The optional fraction keeps a store that adds one readable.
const gmtLayout = "2006-01-02T15:04:05.999999999"

// parseGMT reads a date_*_gmt value as UTC; one with a zone (RFC 3339) is
// taken as the instant it names.
func parseGMT(s *string, field string, bad func(string, string)) time.Time {
	if s == nil || *s == "" {
		bad(field, "is required")
		return time.Time{}
	}
	t, err := time.Parse(gmtLayout, *s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, *s)
	}
	if err != nil {
		bad(field, "must be a date like 2017-03-22T19:28:02 (GMT)")
		return time.Time{}
	}
	t = t.UTC()
	if !platform.InTimeRange(t) {
		bad(field, "must be between 2000-01-01 and 2100-01-01")
		return time.Time{}
	}
	return t
}

// sourceHost is the host of X-WC-Webhook-Source (the store's home URL,
// "https://example.com/"), lower-cased, with its port if it has one; ""
// when it is not a URL whose host is a valid id.
func sourceHost(src string) string {
	u, err := url.Parse(strings.TrimSpace(src))
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Host)
	if !platform.ValidID(host) {
		return ""
	}
	return host
}

// decimalText is a plain or exponent decimal, as JSON writes numbers and
// WooCommerce writes amounts.
var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// formatAmount writes a non-negative decimal with exactly decimals
// decimals, rounding half away from zero as PHP's round() does. It works on
// the exact decimal value (never a float), so 3.3333333333333335 is "3.33"
// and 0.1 is "0.10". ok is false for anything else, a negative amount or
// an absurd exponent.
func formatAmount(s string, decimals int) (string, bool) {
	if len(s) == 0 || len(s) > maxAmountText || !decimalText.MatchString(s) || s[0] == '-' {
		return "", false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return "", false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", false
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Lsh(m, 1).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	digits := q.String()
	if decimals > 0 {
		if len(digits) <= decimals {
			digits = strings.Repeat("0", decimals-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-decimals] + "." + digits[len(digits)-decimals:]
	}
	if len(digits) > maxAmountLen {
		return "", false
	}
	return digits, true
}

// malformed reports a body that is not a WooCommerce order: bad JSON, or a
// field of the wrong JSON type.
func malformed(err error) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
		return invalid(te.Field, "has the wrong type: "+te.Value)
	}
	return invalid("", "malformed JSON")
}

func invalid(field, msg string) *platform.ValidationError {
	return &platform.ValidationError{Errors: []platform.FieldError{{Field: field, Message: msg}}}
}
