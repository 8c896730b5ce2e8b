package examplemarket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// The headers of an Example Market webhook.
const (
	HeaderDelivery  = "X-Market-Delivery"
	HeaderSignature = "X-Market-Signature"
)

// OrderBody is an order webhook's body.
type OrderBody struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	PlacedAt  time.Time `json:"placed_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Buyer     string    `json:"buyer"`
	Total     string    `json:"total"`
	Currency  string    `json:"currency"`
}

// CancelBody is a cancellation webhook's body: a request.
type CancelBody struct {
	OrderID   string    `json:"order_id"`
	RequestID string    `json:"request_id"`
	By        string    `json:"by"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// Sign is the X-Market-Signature a sender holding secret puts on body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type inbound struct{ secrets []string }

func newInbound(secrets []string) (inbound, error) {
	if len(secrets) == 0 {
		return inbound{}, fmt.Errorf("no secrets")
	}
	return inbound{secrets: secrets}, nil
}

// Verify checks the signature with each secret (rotation); the delivery id
// is the market's.
func (in inbound) Verify(h http.Header, body []byte, _ time.Time) (string, error) {
	id, sig := h.Get(HeaderDelivery), h.Get(HeaderSignature)
	if !adapters.ValidDeliveryID(id) {
		return "", adapters.NewAuthError(adapters.ReasonMissingHeader, strings.ToLower(HeaderDelivery))
	}
	for _, s := range in.secrets {
		if hmac.Equal([]byte(sig), []byte(Sign(s, body))) {
			return id, nil
		}
	}
	return "", adapters.NewAuthError(adapters.ReasonSignatureMismatch, strings.ToLower(HeaderSignature))
}

// Decode maps the market's bodies onto an order snapshot or a request.
func (in inbound) Decode(kind adapters.Kind, _ http.Header, body []byte) (adapters.Event, error) {
	invalid := func(field, msg string) error {
		return &adapters.ValidationError{Errors: []adapters.FieldError{{Field: field, Message: msg}}}
	}
	switch kind {
	case adapters.KindOrders:
		var b OrderBody
		if err := json.Unmarshal(body, &b); err != nil {
			return adapters.Event{}, invalid("", "malformed JSON")
		}
		if !adapters.ValidID(b.ID) {
			return adapters.Event{}, invalid("id", "must be an order id")
		}
		o := &adapters.Order{
			ID: b.ID, Status: adapters.OrderStatus(b.Status), PlacedAt: b.PlacedAt, UpdatedAt: b.UpdatedAt,
			BuyerID: b.Buyer, Total: adapters.Money{Amount: b.Total, Currency: b.Currency},
		}
		return adapters.Event{Type: adapters.OrderUpdated, Order: o}, nil
	case adapters.KindCancellations:
		var b CancelBody
		if err := json.Unmarshal(body, &b); err != nil {
			return adapters.Event{}, invalid("", "malformed JSON")
		}
		if !adapters.ValidID(b.OrderID) || !adapters.ValidID(b.RequestID) {
			return adapters.Event{}, invalid("order_id", "order_id and request_id must be ids")
		}
		if !adapters.ValidReason(b.Reason) {
			return adapters.Event{}, invalid("reason", "unknown reason")
		}
		c := &adapters.Cancellation{
			Type: adapters.CancellationRequested, OrderID: b.OrderID, RequestID: b.RequestID,
			Initiator: adapters.Party(b.By), Reason: b.Reason, OccurredAt: b.At,
		}
		return adapters.Event{Type: c.Type, Cancellation: c}, nil
	}
	return adapters.Event{}, fmt.Errorf("decode: unknown endpoint kind %q", kind)
}
