package platform

import (
	"fmt"
	"math/big"
)

// LineRequest is one line a request asks to cancel: Quantity units of the
// order's line LineID.
type LineRequest struct {
	LineID   string `json:"line_id"`
	Quantity int    `json:"quantity"`
}

// Line is a requested line as a decision leaves it: RefundAmount is what
// the buyer gets back for it, set only once the request is cancelled with
// a refund.
type Line struct {
	LineID       string  `json:"line_id"`
	Quantity     int     `json:"quantity"`
	RefundAmount *string `json:"refund_amount"`
}

// MaxLines bounds the lines of one request.
const MaxLines = 100

// CheckLines reports what is wrong with the lines of a request, each
// problem named by its field under prefix ("data.lines"): 1 to MaxLines
// distinct lines, each with an id and a quantity of at least 1. The
// webhook decoder, the storefront and the console all refuse with it.
func CheckLines(prefix string, lines []LineRequest) []FieldError {
	var errs []FieldError
	switch {
	case len(lines) == 0:
		return []FieldError{{Field: prefix, Message: "must list 1 to 100 lines"}}
	case len(lines) > MaxLines:
		return []FieldError{{Field: prefix, Message: fmt.Sprintf("must list at most %d lines", MaxLines)}}
	}
	seen := make(map[string]bool, len(lines))
	for i, l := range lines {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		switch {
		case l.LineID == "":
			errs = append(errs, FieldError{Field: at + ".line_id", Message: "is required"})
		case !ValidID(l.LineID):
			errs = append(errs, FieldError{Field: at + ".line_id", Message: fmt.Sprintf("must be 1 to %d characters of A-Z a-z 0-9 . _ : -, and not . or ..", MaxIDLen)})
		case seen[l.LineID]:
			errs = append(errs, FieldError{Field: at + ".line_id", Message: "must not repeat a line of this request"})
		}
		seen[l.LineID] = true
		if l.Quantity < 1 {
			errs = append(errs, FieldError{Field: at + ".quantity", Message: "must be at least 1"})
		}
	}
	return errs
}

// ErrNoLines is the field error of a request for lines to an adapter whose
// platform cannot cancel lines.
var ErrNoLines = FieldError{Field: "data.lines", Message: "this adapter's platform cancels whole orders only: send no lines"}

// RefuseLines is the validation error of an event asking an adapter
// without Lines to cancel lines, nil for any other event.
func RefuseLines(ad *Adapter, ev Event) error {
	if ad.Lines || ev.Cancellation == nil || ev.Cancellation.Lines == nil {
		return nil
	}
	return &ValidationError{Errors: []FieldError{ErrNoLines}}
}

// Cancellable is how many units of the line can still be cancelled: those
// neither fulfilled nor already cancelled by cancelsync. Units cancelled by
// cancelsync that the platform already took out of Quantity (Removed) are
// not subtracted twice.
func (it Item) Cancellable() int {
	if it.LineID == "" {
		return 0
	}
	return max(0, it.Quantity-it.Fulfilled-max(0, it.Cancelled-it.Removed))
}

// item is the order's line id, nil when the order has no such line.
func (o Order) item(id string) *Item {
	for i := range o.Items {
		if o.Items[i].LineID == id {
			return &o.Items[i]
		}
	}
	return nil
}

// linesFit reports whether every requested unit can still be cancelled.
func (o Order) linesFit(lines []LineRequest) bool {
	for _, l := range lines {
		it := o.item(l.LineID)
		if it == nil || l.Quantity > it.Cancellable() {
			return false
		}
	}
	return true
}

// partlyFulfilled reports whether some unit of the order is fulfilled.
func (o Order) partlyFulfilled() bool {
	for _, it := range o.Items {
		if it.Fulfilled > 0 {
			return true
		}
	}
	return false
}

// wholeOrder reports whether lines, which fit, are every cancellable unit
// of an order with nothing fulfilled: then the request cancels the order.
func (o Order) wholeOrder(lines []LineRequest) bool {
	if len(o.Items) == 0 || o.partlyFulfilled() {
		return false
	}
	asked := make(map[string]int, len(lines))
	for _, l := range lines {
		asked[l.LineID] = l.Quantity
	}
	for _, it := range o.Items {
		if it.LineID == "" || asked[it.LineID] != it.Cancellable() {
			return false
		}
	}
	return true
}

// refunded reports whether a line cancellation refunded part of the order.
func (o Order) refunded() bool {
	for _, it := range o.Items {
		if it.Refunded != "" {
			return true
		}
	}
	return false
}

// Remaining is what is left of the order's total after the refunds of
// cancelsync's line cancellations; never below zero.
func (o Order) Remaining() *big.Rat {
	left, ok := decimal(o.Total.Amount)
	if !ok {
		return new(big.Rat)
	}
	for _, it := range o.Items {
		if r, ok := decimal(it.Refunded); ok {
			left.Sub(left, r)
		}
	}
	if left.Sign() < 0 {
		return new(big.Rat)
	}
	return left
}

// lineRefunds prices lines, which fit, at price × quantity each, written
// with the currency's decimals, the last ones cut so that together they are
// never more than what is left of the order's total; it returns the lines
// and their sum.
func (o Order) lineRefunds(lines []LineRequest) ([]Line, string) {
	cur := o.Total.Currency
	left := o.Remaining()
	sum := new(big.Rat)
	out := make([]Line, len(lines))
	for i, l := range lines {
		amount := new(big.Rat)
		if it := o.item(l.LineID); it != nil {
			if p, ok := decimal(it.Price); ok {
				amount.Mul(p, new(big.Rat).SetInt64(int64(l.Quantity)))
			}
		}
		// Rounded per line, so the lines add up to the refund exactly.
		amount.SetString(formatAmount(amount, cur))
		if amount.Cmp(left) > 0 {
			amount.Set(left)
		}
		left.Sub(left, amount)
		sum.Add(sum, amount)
		a := formatAmount(amount, cur)
		out[i] = Line{LineID: l.LineID, Quantity: l.Quantity, RefundAmount: &a}
	}
	return out, formatAmount(sum, cur)
}

// requested are the lines of a stored request as asked, without refunds.
func requested(lines []Line) []LineRequest {
	if lines == nil {
		return nil
	}
	out := make([]LineRequest, len(lines))
	for i, l := range lines {
		out[i] = LineRequest{LineID: l.LineID, Quantity: l.Quantity}
	}
	return out
}

// SomeLines reports whether a request for lines is settled as one for
// some lines of o: false for a whole-order request (nil) and for lines
// that are every cancellable unit of the order, which settle turns into a
// whole-order cancellation.
func (o Order) SomeLines(lines []LineRequest) bool {
	return lines != nil && !(o.linesFit(lines) && o.wholeOrder(lines))
}

// settle fits the platform's outcome out, decided for the whole order, to
// the request's lines: a request for some lines refunds their price (the
// order's rule says how and whether), one that is the whole order becomes
// one, and no refund is ever more than what is left of the order's total.
func settle(o Order, lines []LineRequest, out Outcome) Outcome {
	if !o.SomeLines(lines) {
		lines = nil
	}
	if lines == nil {
		out.Lines = nil
		// Capped only after earlier line refunds: the usual whole-order
		// refund is the rule's own, parsed and copied for nothing else.
		if out.Refund != nil && o.refunded() {
			rf := *out.Refund
			if a, ok := decimal(rf.Amount); ok && a.Cmp(o.Remaining()) > 0 {
				rf.Amount = formatAmount(o.Remaining(), rf.Currency)
			}
			out.Refund = &rf
		}
		return out
	}
	if out.State != Cancelled || out.Refund == nil {
		out.Lines = make([]Line, len(lines))
		for i, l := range lines {
			out.Lines[i] = Line{LineID: l.LineID, Quantity: l.Quantity}
		}
		return out
	}
	priced, sum := o.lineRefunds(lines)
	rf := *out.Refund
	rf.Amount, rf.Currency = sum, o.Total.Currency
	out.Refund, out.Lines = &rf, priced
	return out
}
