package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/cancelsync/cancelsync/platform"
)

// LineRefundReason is the reason on the refund that cancels some lines of
// an order, one per version: a request's lines are refunded once, and a
// retry finds the refund by it.
func LineRefundReason(requestID string, version int64) string {
	return fmt.Sprintf("cancelsync %s v%d", requestID, version)
}

// isLineRefundReason reports whether reason is one LineRefundReason
// writes: "cancelsync {request_id} v{version}".
func isLineRefundReason(reason string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSpace(reason), "cancelsync ")
	if !ok {
		return false
	}
	i := strings.LastIndex(rest, " v")
	return i > 0 && platform.Digits(rest[i+2:], 19)
}

// refundLines cancels u's lines with one refund of those lines, restocked
// and paid back through the gateway, unless the order already has the
// refund of this version (a retry after a lost answer). The order keeps
// its status: its other lines go on.
func (c *Client) refundLines(ctx context.Context, order string, u platform.Update) error {
	reason := LineRefundReason(u.RequestID, u.Version)
	done, _, err := c.refunds(ctx, order, reason)
	if err != nil || done {
		return err
	}
	currency := ""
	if u.Refund != nil {
		currency = u.Refund.Currency
	}
	sum := new(big.Rat)
	items := make([]map[string]any, 0, len(u.Lines))
	for _, l := range u.Lines {
		if !platform.Digits(l.LineID, maxIdent) {
			return &platform.SyncError{Msg: fmt.Sprintf("line id %q is not a WooCommerce line item id", truncate(l.LineID, 32))}
		}
		total := "0"
		if l.RefundAmount != nil {
			total = *l.RefundAmount
		}
		a, ok := new(big.Rat).SetString(total)
		if !ok {
			return &platform.SyncError{Msg: fmt.Sprintf("refund amount %q is not a decimal", truncate(total, 32))}
		}
		sum.Add(sum, a)
		items = append(items, map[string]any{"id": json.Number(l.LineID), "quantity": l.Quantity, "refund_total": json.Number(total)})
	}
	return c.call(ctx, http.MethodPost, order+"/refunds", map[string]any{
		"amount":      sum.FloatString(platform.MinorUnits(currency)),
		"api_refund":  u.Refund != nil && sum.Sign() > 0,
		"api_restock": true,
		"reason":      reason,
		"line_items":  items,
	}, nil)
}
