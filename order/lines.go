package order

import (
	"math/big"

	"github.com/cancelsync/cancelsync/platform"
)

// askedLines are a new request's lines as stored until it is decided.
func askedLines(ls []platform.LineRequest) []line {
	if ls == nil {
		return nil
	}
	out := make([]line, len(ls))
	for i, l := range ls {
		out[i] = line{ID: l.LineID, Quantity: l.Quantity}
	}
	return out
}

// requestedLines are the lines a stored request asked for.
func requestedLines(ls []line) []platform.LineRequest {
	if ls == nil {
		return nil
	}
	out := make([]platform.LineRequest, len(ls))
	for i, l := range ls {
		out[i] = platform.LineRequest{LineID: l.ID, Quantity: l.Quantity}
	}
	return out
}

// cancelLines records a request for some lines that was cancelled: the
// units and the refund of each line, which later requests and the cap on
// later refunds read (platform.Item.Cancellable, platform.Order.Remaining).
func (o *Snapshot) cancelLines(ls []platform.Line) {
	for _, l := range ls {
		for i := range o.Items {
			it := &o.Items[i]
			if it.LineID != l.LineID {
				continue
			}
			it.Cancelled += l.Quantity
			if l.RefundAmount != nil {
				it.Refunded = addAmounts(it.Refunded, *l.RefundAmount, o.Total.Currency)
			}
			break
		}
	}
}

// addAmounts is a + b written with the currency's decimals.
func addAmounts(a, b, currency string) string {
	sum := new(big.Rat)
	for _, s := range []string{a, b} {
		if r, ok := new(big.Rat).SetString(s); ok && s != "" {
			sum.Add(sum, r)
		}
	}
	return sum.FloatString(platform.MinorUnits(currency))
}

// carryCancelled keeps on a newer snapshot's items what cancelsync
// cancelled of each line: the platform sends its own lines, not ours. A
// line the platform no longer lists (Shopify leaves out a line whose
// every unit was removed) is kept, with no units left, so the view still
// shows what was cancelled of it.
func carryCancelled(old, next []item) []item {
	for _, o := range old {
		if o.LineID == "" || o.Cancelled == 0 && o.Refunded == "" {
			continue
		}
		found := false
		for i := range next {
			if next[i].LineID == o.LineID {
				next[i].Cancelled, next[i].Refunded = o.Cancelled, o.Refunded
				found = true
				break
			}
		}
		if !found {
			next = append(next, item{SKU: o.SKU, Price: o.Price, LineID: o.LineID, Cancelled: o.Cancelled, Refunded: o.Refunded, Removed: o.Cancelled})
		}
	}
	return next
}
