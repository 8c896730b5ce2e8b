// Package v1payload decodes and validates the JSON bodies of cancelsync's
// v1 webhook API (docs/API.md §3): an order snapshot on /orders, a
// cancellation request, response or withdrawal on /cancellations. Every
// problem is reported by field; a name given twice in one object is refused.
// It authenticates nothing: a body reaches Decode only once verified.
package v1payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/cancelsync/cancelsync/platform"
)

// The wire shapes of docs/API.md §3. Times and amounts stay strings until they
// are validated, so that a bad one is reported by field like any other rule
// instead of aborting the decode.

type orderBody struct {
	Type string     `json:"type"`
	Data *orderData `json:"data"`
}

type orderData struct {
	OrderID               string     `json:"order_id" validate:"required,ident"`
	Status                string     `json:"status" validate:"required,oneof=placed paid shipped delivered completed cancelled"`
	PlacedAt              string     `json:"placed_at" validate:"required,rfc3339"`
	UpdatedAt             string     `json:"updated_at" validate:"required,rfc3339"`
	BuyerID               string     `json:"buyer_id" validate:"required,ident"`
	SellerID              string     `json:"seller_id" validate:"required,ident"`
	Total                 *moneyData `json:"total" validate:"required"`
	Items                 []itemData `json:"items" validate:"omitempty,dive"`
	ShippedAt             *string    `json:"shipped_at" validate:"omitnil,rfc3339"`
	RequirementsSubmitted bool       `json:"requirements_submitted"`
	WorkDelivered         bool       `json:"work_delivered"`
}

// The amount rule checks a price against the order's currency: item prices
// share the total's.
type moneyData struct {
	Amount   string `json:"amount" validate:"required,amount"`
	Currency string `json:"currency" validate:"required,iso4217"`
}

type itemData struct {
	SKU      string `json:"sku" validate:"required,max=128"`
	Quantity *int   `json:"quantity" validate:"required,min=1"`
	Price    string `json:"price" validate:"required,amount"`
	// The line fields' rules (line_id: omitempty,ident; fulfilled_quantity:
	// min=0) are checked by lineRules, once per item: the validator boxes
	// every field it visits, an allocation each.
	LineID    string `json:"line_id" validate:"-"`
	Fulfilled int    `json:"fulfilled_quantity" validate:"-"`
}

// cancellationBody keeps data raw: which fields it must carry depends on
// the type, so it is decoded a second time into the type's own shape.
type cancellationBody struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

type requestedData struct {
	OrderID    string `json:"order_id" validate:"required,ident"`
	RequestID  string `json:"request_id" validate:"required,ident"`
	Initiator  string `json:"initiator" validate:"required,oneof=buyer seller merchant"`
	Reason     string `json:"reason" validate:"required,reason"`
	Comments   string `json:"comments" validate:"comments"`
	OccurredAt string `json:"occurred_at" validate:"required,rfc3339"`
	// Lines are checked by platform.CheckLines, which the storefront and
	// the console share; absent means the whole order.
	Lines *[]platform.LineRequest `json:"lines" validate:"-"`
}

type respondedData struct {
	OrderID    string `json:"order_id" validate:"required,ident"`
	RequestID  string `json:"request_id" validate:"required,ident"`
	Decision   string `json:"decision" validate:"required,oneof=accept decline"`
	Responder  string `json:"responder" validate:"required,oneof=buyer seller"`
	Comments   string `json:"comments" validate:"comments"`
	OccurredAt string `json:"occurred_at" validate:"required,rfc3339"`
}

// withdrawnData is all a withdrawal carries; other fields are ignored.
type withdrawnData struct {
	OrderID    string `json:"order_id" validate:"required,ident"`
	RequestID  string `json:"request_id" validate:"required,ident"`
	OccurredAt string `json:"occurred_at" validate:"required,rfc3339"`
}

// maxAmountLen bounds an amount string; no real price needs more.
const maxAmountLen = 32

// Decoder validates the v1 payloads. One validator serves all calls: it
// caches struct metadata, and a Decoder is safe for concurrent use.
type Decoder struct {
	validate *validator.Validate
}

// NewDecoder builds a Decoder; build one and share it.
func NewDecoder() *Decoder {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Errors name fields the way the sender wrote them.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			return f.Name
		}
		return name
	})
	// The field rules of package platform (fields.go) are registered, not copied,
	// so the storefront and the console refuse exactly what ingest refuses.
	mustRegister(v, "ident", func(fl validator.FieldLevel) bool { return platform.ValidID(fl.Field().String()) })
	mustRegister(v, "reason", func(fl validator.FieldLevel) bool { return platform.ValidReason(fl.Field().String()) })
	mustRegister(v, "comments", func(fl validator.FieldLevel) bool {
		return utf8.RuneCountInString(fl.Field().String()) <= platform.MaxComments
	})
	mustRegister(v, "rfc3339", func(fl validator.FieldLevel) bool { return validRFC3339(fl.Field().String()) })
	mustRegister(v, "amount", func(fl validator.FieldLevel) bool {
		return validAmount(fl.Field().String(), currencyOf(fl.Top().Interface()))
	})
	return &Decoder{validate: v}
}

func mustRegister(v *validator.Validate, tag string, fn validator.Func) {
	if err := v.RegisterValidation(tag, fn); err != nil {
		panic(fmt.Sprintf("register validation %q: %v", tag, err))
	}
}

// currencyOf finds the order's currency for an amount rule; "" when data
// is not an order or has no total. Amounts only occur in orders.
func currencyOf(data any) string {
	if o, ok := data.(*orderData); ok && o.Total != nil {
		return o.Total.Currency
	}
	return ""
}

// Decode maps a verified body posted to kind into an Event. A body that
// does not decode, carries a type the endpoint does not take or breaks a
// field rule gives a *platform.ValidationError listing every problem found.
func (d *Decoder) Decode(kind platform.Kind, _ http.Header, body []byte) (platform.Event, error) {
	// encoding/json silently turns invalid UTF-8 into U+FFFD; refuse it
	// instead, since JSON text must be UTF-8 (RFC 8259 §8.1).
	if !utf8.Valid(body) {
		return platform.Event{}, invalid("body", "must be valid UTF-8")
	}
	var ev platform.Event
	var err error
	switch kind {
	case platform.KindOrders:
		ev, err = d.decodeOrder(body)
	case platform.KindCancellations:
		ev, err = d.decodeCancellation(body)
	default:
		return platform.Event{}, fmt.Errorf("decode: unknown endpoint kind %q", kind)
	}
	// encoding/json keeps the last of repeated names; a body that reads two
	// ways is refused (see duplicateKey). Only an otherwise valid body,
	// known to be well-formed JSON by now, pays for this second pass.
	if err == nil {
		err = checkDuplicateKeys(body)
	}
	if err != nil {
		return platform.Event{}, err
	}
	return ev, nil
}

var (
	orderTypes        = []platform.EventType{platform.OrderCreated, platform.OrderUpdated}
	cancellationTypes = []platform.EventType{platform.CancellationRequested, platform.CancellationResponded, platform.CancellationWithdrawn}
)

// decodeOrder decodes a snapshot in one pass. json.Unmarshal refuses
// anything after the top-level value, so trailing data is malformed JSON.
func (d *Decoder) decodeOrder(body []byte) (platform.Event, error) {
	var b orderBody
	jsonErr := json.Unmarshal(body, &b)
	if err := envelopeError(jsonErr, b.Type, orderTypes, body); err != nil {
		return platform.Event{}, err
	}
	if b.Data == nil {
		return platform.Event{}, invalid("data", "is required")
	}
	if err := d.check(b.Data, lineRules(b.Data.Items)); err != nil {
		return platform.Event{}, err
	}
	if err := checkItemLines(b.Data.Items); err != nil {
		return platform.Event{}, err
	}
	return platform.Event{Type: platform.EventType(b.Type), Order: b.Data.order()}, nil
}

// lineRules are the field rules of the items' line fields, reported like
// the validator's: line_id, when given, an ident; fulfilled_quantity at
// least 0.
func lineRules(items []itemData) []platform.FieldError {
	var errs []platform.FieldError
	for i, it := range items {
		if it.LineID != "" && !platform.ValidID(it.LineID) {
			errs = append(errs, platform.FieldError{Field: itemField(i, "line_id"), Message: identMessage})
		}
		if it.Fulfilled < 0 {
			errs = append(errs, platform.FieldError{Field: itemField(i, "fulfilled_quantity"), Message: "must be at least 0"})
		}
	}
	return errs
}

// checkItemLines refuses what the field rules cannot see: more units
// fulfilled than ordered, and two items with one line id.
func checkItemLines(items []itemData) error {
	var errs []platform.FieldError
	seen := map[string]bool{}
	for i, it := range items {
		if it.Fulfilled > *it.Quantity {
			errs = append(errs, platform.FieldError{Field: itemField(i, "fulfilled_quantity"), Message: "must be at most quantity"})
		}
		if it.LineID != "" && seen[it.LineID] {
			errs = append(errs, platform.FieldError{Field: itemField(i, "line_id"), Message: "must not repeat another item's line_id"})
		}
		seen[it.LineID] = true
	}
	if errs != nil {
		return &platform.ValidationError{Errors: errs}
	}
	return nil
}

// itemField is the path of field of the i-th item ("data.items[0].line_id"),
// written only for a problem to report.
func itemField(i int, field string) string {
	return "data.items[" + strconv.Itoa(i) + "]." + field
}

// cancellationData is what each cancellation type's data shape maps to.
type cancellationData interface {
	cancellation(platform.EventType) *platform.Cancellation
}

func (d *Decoder) decodeCancellation(body []byte) (platform.Event, error) {
	var b cancellationBody
	jsonErr := json.Unmarshal(body, &b)
	if err := envelopeError(jsonErr, b.Type, cancellationTypes, body); err != nil {
		return platform.Event{}, err
	}
	if len(b.Data) == 0 || string(b.Data) == "null" {
		return platform.Event{}, invalid("data", "is required")
	}
	t := platform.EventType(b.Type)
	var data cancellationData
	switch t {
	case platform.CancellationRequested:
		data = &requestedData{}
	case platform.CancellationResponded:
		data = &respondedData{}
	case platform.CancellationWithdrawn:
		data = &withdrawnData{}
	}
	if err := json.Unmarshal(b.Data, data); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			return platform.Event{}, typeError(te, "data.", nil)
		}
		return platform.Event{}, invalid("data", "must be a JSON object")
	}
	if err := d.check(data, nil); err != nil {
		return platform.Event{}, err
	}
	if rd, ok := data.(*requestedData); ok && rd.Lines != nil {
		if errs := platform.CheckLines("data.lines", *rd.Lines); len(errs) > 0 {
			return platform.Event{}, &platform.ValidationError{Errors: errs}
		}
	}
	return platform.Event{Type: t, Cancellation: data.cancellation(t)}, nil
}

// envelopeError reports a body that is not JSON, whose type is not one the
// endpoint takes, or with a value of the wrong JSON kind. A wrong type is
// reported alone: checking the data against the rules of another event
// would only add noise.
func envelopeError(jsonErr error, typ string, allowed []platform.EventType, body []byte) error {
	te, isTypeErr := errors.AsType[*json.UnmarshalTypeError](jsonErr)
	switch {
	case jsonErr == nil:
	case !isTypeErr:
		return malformed(jsonErr)
	case te.Field == "":
		return invalid("body", "must be a JSON object")
	case te.Field == "type":
		return invalid("type", jsonTypeMessage(te))
	}
	if !slices.Contains(allowed, platform.EventType(typ)) {
		if typ == "" {
			return invalid("type", "is required")
		}
		names := make([]string, len(allowed))
		for i, t := range allowed {
			names[i] = string(t)
		}
		return invalid("type", "must be one of: "+strings.Join(names, " "))
	}
	if isTypeErr {
		return typeError(te, "", body)
	}
	return nil
}

// malformed describes a body that is not one JSON value.
func malformed(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalid("body", fmt.Sprintf("is not valid JSON: %s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset))
	}
	return invalid("body", "is not valid JSON")
}

// typeError reports a JSON value of the wrong kind ("order_id": 5) at its
// path. prefix is prepended to the decoder's path; body, when given, is
// searched for which element of items the error is in, since
// encoding/json's path leaves array indices out.
func typeError(te *json.UnmarshalTypeError, prefix string, body []byte) error {
	field := strings.TrimSuffix(prefix+te.Field, ".")
	if rest, ok := strings.CutPrefix(te.Field, "data.items"); ok && body != nil {
		elementErr := rest != "" || te.Type.Kind() != reflect.Slice
		if i := badItem(body); elementErr && i >= 0 {
			field = fmt.Sprintf("data.items[%d]%s", i, rest)
		}
	}
	return invalid(field, jsonTypeMessage(te))
}

// badItem returns the index of the first item that fails to decode, or -1.
func badItem(body []byte) int {
	var probe struct {
		Data struct {
			Items []json.RawMessage `json:"items"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return -1
	}
	for i, raw := range probe.Data.Items {
		var it itemData
		if json.Unmarshal(raw, &it) != nil {
			return i
		}
	}
	return -1
}

// jsonTypeMessage says which JSON kind a field needs ("must be a string,
// got number").
func jsonTypeMessage(te *json.UnmarshalTypeError) string {
	got, _, _ := strings.Cut(te.Value, " ")
	t := te.Type
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var want string
	switch t.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if got == "number" {
			return "must be a whole number in range"
		}
		want = "an integer"
	case reflect.Slice, reflect.Array:
		want = "an array"
	case reflect.Struct, reflect.Map:
		want = "an object"
	default:
		want = "a " + t.Kind().String()
	}
	return "must be " + want + ", got " + got
}

// check runs the field rules on data (a pointer to one of the data shapes)
// and reports every broken rule, with more, the problems of the rules
// checked by hand, sorted by field.
func (d *Decoder) check(data any, more []platform.FieldError) error {
	err := d.validate.Struct(data)
	if err == nil && more == nil {
		return nil
	}
	var fes validator.ValidationErrors
	if err != nil && !errors.As(err, &fes) {
		return fmt.Errorf("validate: %w", err)
	}
	currency := currencyOf(data) // for amount messages
	ve := &platform.ValidationError{Errors: make([]platform.FieldError, 0, len(fes)+len(more))}
	for _, fe := range fes {
		// The namespace starts with the Go type name ("orderData.total.amount");
		// the sender knows it as data.
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		ve.Errors = append(ve.Errors, platform.FieldError{Field: "data." + path, Message: ruleMessage(fe, currency)})
	}
	ve.Errors = append(ve.Errors, more...)
	sort.SliceStable(ve.Errors, func(i, j int) bool { return ve.Errors[i].Field < ve.Errors[j].Field })
	return ve
}

// ruleMessage turns a broken rule into a sentence a platform's developer
// can act on.
func ruleMessage(fe validator.FieldError, currency string) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "oneof":
		return "must be one of: " + fe.Param()
	case "ident":
		return identMessage
	case "reason":
		return "must be one of: " + strings.Join(platform.Reasons, " ")
	case "comments":
		return fmt.Sprintf("must be at most %d characters", platform.MaxComments)
	case "rfc3339":
		return "must be an RFC 3339 date-time between 2000-01-01 and 2100-01-01, like 2026-11-20T10:00:00Z"
	case "iso4217":
		return "must be an ISO 4217 currency code, like USD"
	case "amount":
		if !platform.CurrencyCode(currency) {
			return `must be a decimal string, like "42.50"`
		}
		switch n := platform.MinorUnits(currency); n {
		case 0:
			return "must be a decimal string with no decimals for " + currency
		case 1:
			return "must be a decimal string with at most 1 decimal for " + currency
		default:
			return fmt.Sprintf("must be a decimal string with at most %d decimals for %s", n, currency)
		}
	case "min":
		return "must be at least " + fe.Param()
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		return "must be at most " + fe.Param()
	}
	return "is invalid (" + fe.Tag() + ")"
}

// identMessage is the problem of a field breaking the ident rule.
var identMessage = fmt.Sprintf("must be 1 to %d characters of A-Z a-z 0-9 . _ : -, and not . or ..", platform.MaxIDLen)

func invalid(field, message string) *platform.ValidationError {
	return &platform.ValidationError{Errors: []platform.FieldError{{Field: field, Message: message}}}
}

func validRFC3339(s string) bool {
	t, err := time.Parse(time.RFC3339, s)
	return err == nil && platform.InTimeRange(t)
}

// mustTime parses a timestamp the rfc3339 rule already accepted.
func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic("v1payload: unvalidated timestamp " + s)
	}
	return t
}

// validAmount reports whether s is a plain decimal ("42", "42.50": no sign,
// no exponent, no thousands separator) with no more decimals than the
// currency's minor unit. The precision is only enforced for a well-formed
// currency code; a bad code is reported on its own field.
func validAmount(s, currency string) bool {
	if len(s) == 0 || len(s) > maxAmountLen {
		return false
	}
	whole, frac, dotted := strings.Cut(s, ".")
	if !platform.Digits(whole, 0) || dotted && !platform.Digits(frac, 0) {
		return false
	}
	return !platform.CurrencyCode(currency) || len(frac) <= platform.MinorUnits(currency)
}

// cancellation maps a validated request to the domain.
func (d *requestedData) cancellation(t platform.EventType) *platform.Cancellation {
	return &platform.Cancellation{Type: t, OrderID: d.OrderID, RequestID: d.RequestID, OccurredAt: mustTime(d.OccurredAt),
		Initiator: platform.Party(d.Initiator), Reason: d.Reason, Comments: d.Comments, Lines: linesOf(d.Lines)}
}

func linesOf(ls *[]platform.LineRequest) []platform.LineRequest {
	if ls == nil {
		return nil
	}
	return *ls
}

// cancellation maps a validated response to the domain.
func (d *respondedData) cancellation(t platform.EventType) *platform.Cancellation {
	return &platform.Cancellation{Type: t, OrderID: d.OrderID, RequestID: d.RequestID, OccurredAt: mustTime(d.OccurredAt),
		Decision: platform.Decision(d.Decision), Responder: platform.Party(d.Responder), Comments: d.Comments}
}

// cancellation maps a validated withdrawal to the domain.
func (d *withdrawnData) cancellation(t platform.EventType) *platform.Cancellation {
	return &platform.Cancellation{Type: t, OrderID: d.OrderID, RequestID: d.RequestID, OccurredAt: mustTime(d.OccurredAt)}
}

// order maps validated wire data to the domain.
func (o *orderData) order() *platform.Order {
	out := &platform.Order{
		ID:                    o.OrderID,
		Status:                platform.OrderStatus(o.Status),
		PlacedAt:              mustTime(o.PlacedAt),
		UpdatedAt:             mustTime(o.UpdatedAt),
		BuyerID:               o.BuyerID,
		SellerID:              o.SellerID,
		Total:                 platform.Money{Amount: o.Total.Amount, Currency: o.Total.Currency},
		RequirementsSubmitted: o.RequirementsSubmitted,
		WorkDelivered:         o.WorkDelivered,
	}
	if o.ShippedAt != nil {
		t := mustTime(*o.ShippedAt)
		out.ShippedAt = &t
	}
	if len(o.Items) > 0 {
		out.Items = make([]platform.Item, len(o.Items))
		for i, it := range o.Items {
			out.Items[i] = platform.Item{SKU: it.SKU, Quantity: *it.Quantity, Price: it.Price, LineID: it.LineID, Fulfilled: min(it.Fulfilled, *it.Quantity)}
		}
	}
	return out
}
