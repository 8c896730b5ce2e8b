package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
	"github.com/cancelsync/cancelsync/platform/shopify/admingql"
)

const (
	maxResponse = 1 << 20
	maxMsg      = 300
)

// cancelMutation is Admin GraphQL's orderCancel (API 2025-07 and later,
// which take refundMethod).
const cancelMutation = `mutation OrderCancel($orderId: ID!, $notifyCustomer: Boolean, $refundMethod: OrderCancelRefundMethodInput!, $restock: Boolean!, $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, notifyCustomer: $notifyCustomer, refundMethod: $refundMethod, restock: $restock, reason: $reason, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
    userErrors { field message }
  }
}`

// client cancels orders through the Admin GraphQL API.
type client struct {
	endpoint       string
	token          string
	secrets        httpsync.Secrets
	notifyCustomer bool
	restock        bool
	http           *http.Client
	now            func() time.Time
}

var _ platform.Client = (*client)(nil)

// NewClient builds the orderCancel client of an adapter.
func NewClient(s platform.Settings) platform.Client {
	cfg := configOf(s)
	version := cfg.version
	if version == "" {
		version = DefaultAPIVersion
	}
	return &client{
		endpoint:       strings.TrimRight(s.API.BaseURL, "/") + "/admin/api/" + url.PathEscape(version) + "/graphql.json",
		token:          s.API.Token,
		secrets:        httpsync.NewSecrets(s.API),
		notifyCustomer: cfg.notifyCustomer == nil || *cfg.notifyCustomer,
		restock:        cfg.restock == nil || *cfg.restock,
		// A redirect (a renamed shop's domain) would drop the token
		// off-host: it is taken as the answer.
		http: httpsync.NewClient(s.API.Timeout, nil),
		now:  time.Now,
	}
}

// NewBoundary builds the adapter's live reads, poll settings and
// subscriptions, on the same endpoint and token as its cancellations.
func NewBoundary(s platform.Settings) *platform.Boundary {
	c := NewClient(s).(*client)
	g := &admingql.Client{Endpoint: c.endpoint, Token: c.token, Secrets: c.secrets, HTTP: c.http, Now: time.Now, Sleep: admingql.SleepCtx}
	cfg := configOf(s)
	return &platform.Boundary{
		Reader: &reader{g: g, shop: cfg.shop}, Subscriber: &subscriber{g: g},
		Every: cfg.every, Overlap: cfg.overlap, Timeout: s.API.Timeout,
	}
}

// Variables are orderCancel's arguments, as sent.
type Variables struct {
	OrderID        string         `json:"orderId"`
	NotifyCustomer bool           `json:"notifyCustomer"`
	RefundMethod   map[string]any `json:"refundMethod"`
	Restock        bool           `json:"restock"`
	Reason         string         `json:"reason"`
	StaffNote      string         `json:"staffNote"`
}

// variables maps a cancelled state to orderCancel's arguments.
func (c *client) variables(u platform.Update) Variables {
	reason := "OTHER"
	switch {
	case u.Reason == "payment_issue":
		reason = "DECLINED"
	case u.Initiator.Side() == platform.Buyer:
		reason = "CUSTOMER"
	}
	refund := map[string]any{"originalPaymentMethodsRefund": true}
	if u.Refund != nil && u.Refund.Method == platform.PlatformCredit {
		refund = map[string]any{"storeCreditRefund": map[string]any{"expiresAt": nil}}
	}
	return Variables{
		OrderID:        "gid://shopify/Order/" + u.OrderID,
		NotifyCustomer: c.notifyCustomer,
		RefundMethod:   refund,
		Restock:        c.restock,
		Reason:         reason,
		StaffNote:      fmt.Sprintf("cancelsync %s v%d", u.RequestID, u.Version),
	}
}

// gqlEnvelope is an Admin GraphQL answer, business failures included
// (they come back with HTTP 200): the operation's data, left raw for its
// caller, and the top-level errors with the cost bucket they were judged by.
type gqlEnvelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64 `json:"requestedQueryCost"`
			ThrottleStatus     struct {
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
				RestoreRate        float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
}

// cancelled is orderCancel's data.
type cancelled struct {
	OrderCancel *struct {
		Job *struct {
			ID string `json:"id"`
		} `json:"job"`
		OrderCancelUserErrors []userError `json:"orderCancelUserErrors"`
		UserErrors            []userError `json:"userErrors"`
	} `json:"orderCancel"`
}

type userError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
}

// Push sends a cancelled state as orderCancel; every other state has
// nothing to send on Shopify. orderCancel has no idempotency key, so a
// retry after a lost answer meets "already been canceled", which is taken
// as success.
func (c *client) Push(ctx context.Context, key string, u platform.Update) error {
	if u.State != platform.Cancelled {
		return fmt.Errorf("state %s: %w", u.State, platform.ErrNothingToSend)
	}
	if u.Lines != nil {
		return c.refundLines(ctx, key, u)
	}
	if !platform.Digits(u.OrderID, 20) {
		return &platform.SyncError{Msg: "order id " + truncate(u.OrderID, 40) + " is not a Shopify order id"}
	}
	var r cancelled
	if err := c.graphql(ctx, "orderCancel", cancelMutation, c.variables(u), &r); err != nil {
		return err
	}
	if r.OrderCancel == nil {
		return &platform.SyncError{Msg: "orderCancel: answer has no data.orderCancel"}
	}
	oc := r.OrderCancel
	uerrs := append(oc.OrderCancelUserErrors, oc.UserErrors...)
	if len(uerrs) > 0 {
		msgs := make([]string, 0, len(uerrs))
		for _, e := range uerrs {
			if alreadyCancelled(e.Message) {
				return nil // a retry after a lost answer: Shopify has it
			}
			if !slices.Contains(msgs, e.Message) { // the deprecated userErrors repeat them
				msgs = append(msgs, e.Message)
			}
		}
		return &platform.SyncError{Msg: c.clean("orderCancel: " + strings.Join(msgs, "; "))}
	}
	if oc.Job == nil {
		return &platform.SyncError{Msg: "orderCancel: answer has neither a job nor an error"}
	}
	return nil
}

// alreadyCancelled recognises Shopify's "Order has already been canceled"
// (either spelling).
func alreadyCancelled(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "already been canceled") || strings.Contains(m, "already been cancelled")
}

// throttleWait is how long the leaky bucket needs to refill for the
// request's cost, from the answer's extensions.cost; 0 when not given.
func throttleWait(r *gqlEnvelope) time.Duration {
	cost := r.Extensions.Cost
	need := cost.RequestedQueryCost - cost.ThrottleStatus.CurrentlyAvailable
	if need <= 0 || cost.ThrottleStatus.RestoreRate <= 0 {
		return 0
	}
	secs := math.Ceil(need / cost.ThrottleStatus.RestoreRate)
	return time.Duration(min(secs, 3600)) * time.Second
}

// clean keeps a message short, on one line and free of the token.
func (c *client) clean(s string) string {
	return httpsync.OneLine(c.secrets.Redact(s), maxMsg)
}
