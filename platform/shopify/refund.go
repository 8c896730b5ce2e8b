package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
)

// Some lines of an order are cancelled with a refund of those lines, not
// with orderCancel (which takes the whole order): Shopify first suggests
// the refund of the lines (their discounted price and tax, to the payments
// that paid them), and refundCreate makes it. refundCreate's @idempotent
// key is the sync's idempotency key, so a retry after a lost answer gets
// the refund already made, never a second one (docs/SHOPIFY.md).

// suggestQuery asks what refunding the lines would give back, and to whom.
const suggestQuery = `query SuggestedRefund($id: ID!, $refundLineItems: [RefundLineItemInput!]) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $refundLineItems) {
      amountSet { shopMoney { amount currencyCode } }
      suggestedTransactions { amountSet { shopMoney { amount } } gateway kind parentTransaction { id } }
    }
  }
}`

// refundMutation makes the refund; %s is the idempotency key, a GraphQL
// string literal (the key's characters need no escaping: ids are
// [A-Za-z0-9._:-]).
const refundMutation = `mutation RefundCreate($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: %s) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}`

// RefundLineItem is one line of a refund, as sent.
type RefundLineItem struct {
	LineItemID  string `json:"lineItemId"`
	Quantity    int    `json:"quantity"`
	RestockType string `json:"restockType"`
}

// RefundTransaction is one transaction of a refund, as sent: Shopify's
// suggestion, as suggested.
type RefundTransaction struct {
	OrderID  string `json:"orderId"`
	ParentID string `json:"parentId,omitempty"`
	Amount   string `json:"amount"`
	Gateway  string `json:"gateway"`
	Kind     string `json:"kind"`
}

// RefundInput is refundCreate's input, as sent.
type RefundInput struct {
	OrderID         string              `json:"orderId"`
	Notify          bool                `json:"notify"`
	Note            string              `json:"note"`
	RefundLineItems []RefundLineItem    `json:"refundLineItems"`
	Transactions    []RefundTransaction `json:"transactions"`
}

type suggestion struct {
	Order *struct {
		SuggestedRefund *struct {
			SuggestedTransactions []struct {
				AmountSet struct {
					ShopMoney struct {
						Amount string `json:"amount"`
					} `json:"shopMoney"`
				} `json:"amountSet"`
				Gateway           string `json:"gateway"`
				Kind              string `json:"kind"`
				ParentTransaction *struct {
					ID string `json:"id"`
				} `json:"parentTransaction"`
			} `json:"suggestedTransactions"`
		} `json:"suggestedRefund"`
	} `json:"order"`
}

type refundCreated struct {
	RefundCreate *struct {
		Refund *struct {
			ID string `json:"id"`
		} `json:"refund"`
		UserErrors []userError `json:"userErrors"`
	} `json:"refundCreate"`
}

// refundLines cancels u's lines: their suggested refund, made once under key.
func (c *client) refundLines(ctx context.Context, key string, u platform.Update) error {
	if !platform.Digits(u.OrderID, 20) {
		return &platform.SyncError{Msg: "order id " + truncate(u.OrderID, 40) + " is not a Shopify order id"}
	}
	orderGID := "gid://shopify/Order/" + u.OrderID
	items := make([]RefundLineItem, 0, len(u.Lines))
	for _, l := range u.Lines {
		if !platform.Digits(l.LineID, 20) {
			return &platform.SyncError{Msg: "line id " + truncate(l.LineID, 40) + " is not a Shopify line item id"}
		}
		// CANCEL: the units were never fulfilled; they go back to stock.
		items = append(items, RefundLineItem{LineItemID: "gid://shopify/LineItem/" + l.LineID, Quantity: l.Quantity, RestockType: "CANCEL"})
	}
	var s suggestion
	if err := c.graphql(ctx, "suggestedRefund", suggestQuery, map[string]any{"id": orderGID, "refundLineItems": items}, &s); err != nil {
		return err
	}
	if s.Order == nil || s.Order.SuggestedRefund == nil {
		return &platform.SyncError{Msg: "suggestedRefund: the order was not found"}
	}
	txs := make([]RefundTransaction, 0, len(s.Order.SuggestedRefund.SuggestedTransactions))
	for _, t := range s.Order.SuggestedRefund.SuggestedTransactions {
		tx := RefundTransaction{OrderID: orderGID, Amount: t.AmountSet.ShopMoney.Amount, Gateway: t.Gateway, Kind: "REFUND"}
		if t.ParentTransaction != nil {
			tx.ParentID = t.ParentTransaction.ID
		}
		txs = append(txs, tx)
	}
	input := RefundInput{
		OrderID: orderGID, Notify: c.notifyCustomer, Note: fmt.Sprintf("cancelsync %s v%d", u.RequestID, u.Version),
		RefundLineItems: items, Transactions: txs,
	}
	var r refundCreated
	if err := c.graphql(ctx, "refundCreate", fmt.Sprintf(refundMutation, strconv.Quote(key)), map[string]any{"input": input}, &r); err != nil {
		return err
	}
	if r.RefundCreate == nil {
		return &platform.SyncError{Msg: "refundCreate: answer has no data.refundCreate"}
	}
	if errs := r.RefundCreate.UserErrors; len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Message
		}
		return &platform.SyncError{Msg: c.clean("refundCreate: " + strings.Join(msgs, "; "))}
	}
	if r.RefundCreate.Refund == nil {
		return &platform.SyncError{Msg: "refundCreate: answer has neither a refund nor an error"}
	}
	return nil
}

// graphql posts one operation and decodes its data into out. Failures are
// mapped to sync outcomes (docs/SHOPIFY.md): 429, 5xx, THROTTLED,
// INTERNAL_SERVER_ERROR, an answer that does not decode and transport
// errors are retried, other refusals and an answer without data are not.
func (c *client) graphql(ctx context.Context, op, query string, vars, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return &platform.SyncError{Msg: "encode " + op + ": " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return &platform.SyncError{Msg: op + ": invalid api.base_url"}
	}
	req.Header.Set("X-Shopify-Access-Token", c.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.secrets.TransportError(op, c.http.Timeout, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	retryAfter := httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	switch code := resp.StatusCode; {
	case httpsync.Retryable(code):
		return &platform.SyncError{Retryable: true, RetryAfter: retryAfter, Msg: httpsync.StatusMsg(code)}
	case code != http.StatusOK:
		// 401, 403, 404 and every other refusal: sending it again will not help.
		return &platform.SyncError{Msg: httpsync.StatusMsg(code)}
	}
	var env gqlEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return &platform.SyncError{Retryable: true, RetryAfter: retryAfter, Msg: op + ": answer is not JSON"}
	}
	if len(env.Errors) > 0 {
		msgs := make([]string, len(env.Errors))
		retry := false
		for i, e := range env.Errors {
			msgs[i] = e.Message
			if e.Extensions.Code != "" {
				msgs[i] = e.Extensions.Code + ": " + e.Message
			}
			if e.Extensions.Code == "THROTTLED" || e.Extensions.Code == "INTERNAL_SERVER_ERROR" {
				retry = true
			}
		}
		se := &platform.SyncError{Retryable: retry, Msg: c.clean(op + ": " + strings.Join(msgs, "; "))}
		if retry {
			se.RetryAfter = max(retryAfter, throttleWait(&env))
		}
		return se
	}
	if len(env.Data) == 0 {
		return &platform.SyncError{Msg: op + ": answer has no data"}
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &platform.SyncError{Retryable: true, RetryAfter: retryAfter, Msg: op + ": answer is not JSON"}
	}
	return nil
}
