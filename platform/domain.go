// Package platform owns the Platform contract and the cancellation domain:
// orders, cancellation requests, their states and outcomes, and the checks
// every platform shares. Each platform lives in its own folder below this one
// with its signature scheme, payload mapping, policy and API client. Nothing
// here touches Redis or Asynq; every decision is a pure function of its inputs.
package platform

import (
	"time"
)

// OrderStatus is the fulfilment status of an order snapshot.
type OrderStatus string

const (
	StatusPlaced    OrderStatus = "placed"
	StatusPaid      OrderStatus = "paid"
	StatusShipped   OrderStatus = "shipped"
	StatusDelivered OrderStatus = "delivered"
	StatusCompleted OrderStatus = "completed"
	StatusCancelled OrderStatus = "cancelled"
)

// Money is an amount in a currency. Amount stays a decimal string end to end
// so that no float ever rounds a price.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Item is one line of an order. Quantity, Price, LineID and Fulfilled are
// the platform's; Cancelled and Refunded are what cancelsync's line
// cancellations took off the line (docs/API.md, "Cancelling some lines").
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Price    string `json:"price"`
	// LineID is the platform's id of the line; a line without one cannot
	// be cancelled on its own.
	LineID    string `json:"line_id,omitempty"`
	Fulfilled int    `json:"fulfilled_quantity,omitempty"`
	// Removed is how many units the platform itself already took off the
	// line and out of Quantity (Shopify's quantity − current_quantity):
	// units cancelled by cancelsync that the platform removed are not
	// counted twice.
	Removed   int    `json:"removed_quantity,omitempty"`
	Cancelled int    `json:"cancelled_quantity,omitempty"`
	Refunded  string `json:"refunded_amount,omitempty"`
}

// Order is one snapshot of an order as the platform sent it.
type Order struct {
	ID                    string      `json:"order_id"`
	Status                OrderStatus `json:"status"`
	PlacedAt              time.Time   `json:"placed_at"`
	UpdatedAt             time.Time   `json:"updated_at"`
	BuyerID               string      `json:"buyer_id"`
	SellerID              string      `json:"seller_id"`
	Total                 Money       `json:"total"`
	Items                 []Item      `json:"items,omitempty"`
	ShippedAt             *time.Time  `json:"shipped_at"`
	RequirementsSubmitted bool        `json:"requirements_submitted,omitempty"`
	WorkDelivered         bool        `json:"work_delivered,omitempty"`
}

// EventType names what a webhook says happened.
type EventType string

const (
	OrderCreated          EventType = "order.created"
	OrderUpdated          EventType = "order.updated"
	CancellationRequested EventType = "cancellation.requested"
	CancellationResponded EventType = "cancellation.responded"
	CancellationWithdrawn EventType = "cancellation.withdrawn"
)

// Party is a side of the sale. The merchant is the seller on a marketplace,
// so "merchant" and "seller" name the same party.
type Party string

const (
	Buyer    Party = "buyer"
	Seller   Party = "seller"
	Merchant Party = "merchant"
)

// Side folds merchant into seller, for comparing who asked with who answered.
func (p Party) Side() Party {
	if p == Merchant {
		return Seller
	}
	return p
}

// Decision is the counterparty's answer to a pending request.
type Decision string

const (
	Accept  Decision = "accept"
	Decline Decision = "decline"
)

// Cancellation is one cancellation event as the platform sent it: a request,
// a response to one, or a withdrawal. Fields that an event type does not carry
// are zero.
type Cancellation struct {
	Type       EventType `json:"type"`
	OrderID    string    `json:"order_id"`
	RequestID  string    `json:"request_id"`
	Initiator  Party     `json:"initiator,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Comments   string    `json:"comments,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	Decision   Decision  `json:"decision,omitempty"`
	Responder  Party     `json:"responder,omitempty"`
	// Lines are the lines a request cancels; nil for the whole order.
	Lines []LineRequest `json:"lines,omitempty"`
}

// Event is one decoded, validated webhook. At least one of Order and
// Cancellation is set. Both may be: a platform whose cancellation is a status
// change of the order (WooCommerce's order.updated to "cancelled", Shopify's
// orders/cancelled topic) maps one delivery to the new snapshot plus the
// request it implies; the workers apply the snapshot first, atomically with
// the request.
type Event struct {
	Type         EventType     `json:"type"`
	Order        *Order        `json:"order,omitempty"`
	Cancellation *Cancellation `json:"cancellation,omitempty"`
}

// OrderID is the order the event is about.
func (e Event) OrderID() string {
	if e.Order != nil {
		return e.Order.ID
	}
	if e.Cancellation != nil {
		return e.Cancellation.OrderID
	}
	return ""
}

// State is where a cancellation request stands.
type State string

const (
	// AwaitingOrder is internal: the request arrived before any snapshot of
	// its order. It is shown on the read API and never synced.
	AwaitingOrder   State = "awaiting_order"
	PendingResponse State = "pending_response"
	Cancelled       State = "cancelled"
	Denied          State = "denied"
	Escalated       State = "escalated"
	Withdrawn       State = "withdrawn"
)

// States are every state a request can be in.
var States = []State{AwaitingOrder, PendingResponse, Cancelled, Denied, Escalated, Withdrawn}

// DenialReason says why a request was denied.
type DenialReason string

const (
	AlreadyShipped   DenialReason = "already_shipped"
	AlreadyDelivered DenialReason = "already_delivered"
	AlreadyCancelled DenialReason = "already_cancelled"
	WindowExpired    DenialReason = "window_expired"
	OrderUnknown     DenialReason = "order_unknown"
	RequestOpen      DenialReason = "request_open"
	// Declined: the counterparty declined on a platform without a dispute
	// process (WooCommerce).
	Declined DenialReason = "declined"
)

// RefundMethod is how the buyer is paid back.
type RefundMethod string

const (
	OriginalPayment RefundMethod = "original_payment"
	PlatformCredit  RefundMethod = "platform_credit"
)

// Refund is how much is paid back and how.
type Refund struct {
	Method   RefundMethod `json:"method"`
	Amount   string       `json:"amount"`
	Currency string       `json:"currency"`
}

// Outcome is the state a decision puts a request in.
type Outcome struct {
	State              State        `json:"state"`
	DenialReason       DenialReason `json:"denial_reason,omitempty"`
	RespondBy          *time.Time   `json:"respond_by,omitempty"`
	Refund             *Refund      `json:"refund,omitempty"`
	AffectsSellerStats bool         `json:"affects_seller_stats,omitempty"`
	// Lines are the lines of a request for some lines, each with its
	// refund once cancelled; nil for a request for the whole order.
	Lines []Line `json:"lines,omitempty"`
}

// Request is a stored cancellation request with its current outcome.
type Request struct {
	RequestID  string    `json:"request_id"`
	Initiator  Party     `json:"initiator"`
	Reason     string    `json:"reason"`
	Comments   string    `json:"comments,omitempty"`
	OccurredAt time.Time `json:"occurred_at"`
	Outcome
}

// Open reports whether the request still waits for something.
func (r Request) Open() bool {
	return r.State == PendingResponse || r.State == AwaitingOrder
}

// Deny is the outcome of a denied request.
func Deny(reason DenialReason) Outcome {
	return Outcome{State: Denied, DenialReason: reason}
}

// Cancel is the outcome of a cancelled order: the buyer gets the order's
// total back by method.
func Cancel(o Order, method RefundMethod) Outcome {
	return Outcome{State: Cancelled, Refund: &Refund{Method: method, Amount: o.Total.Amount, Currency: o.Total.Currency}}
}

// Pending is the outcome of a request that waits for the counterparty.
func Pending(respondBy time.Time) Outcome {
	return Outcome{State: PendingResponse, RespondBy: &respondBy}
}
