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

	"github.com/cancelsync/cancelsync/platform"
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
	if !platform.ValidDeliveryID(id) {
		return "", platform.NewAuthError(platform.ReasonMissingHeader, strings.ToLower(HeaderDelivery))
	}
	for _, s := range in.secrets {
		if hmac.Equal([]byte(sig), []byte(Sign(s, body))) {
			return id, nil
		}
	}
	return "", platform.NewAuthError(platform.ReasonSignatureMismatch, strings.ToLower(HeaderSignature))
}

// Decode maps the market's bodies onto an order snapshot or a request.
func (in inbound) Decode(kind platform.Kind, _ http.Header, body []byte) (platform.Event, error) {
	invalid := func(field, msg string) error {
		return &platform.ValidationError{Errors: []platform.FieldError{{Field: field, Message: msg}}}
	}
	switch kind {
	case platform.KindOrders:
		var b OrderBody
		if err := json.Unmarshal(body, &b); err != nil {
			return platform.Event{}, invalid("", "malformed JSON")
		}
		if !platform.ValidID(b.ID) {
			return platform.Event{}, invalid("id", "must be an order id")
		}
		o := &platform.Order{
			ID: b.ID, Status: platform.OrderStatus(b.Status), PlacedAt: b.PlacedAt, UpdatedAt: b.UpdatedAt,
			BuyerID: b.Buyer, Total: platform.Money{Amount: b.Total, Currency: b.Currency},
		}
		return platform.Event{Type: platform.OrderUpdated, Order: o}, nil
	case platform.KindCancellations:
		var b CancelBody
		if err := json.Unmarshal(body, &b); err != nil {
			return platform.Event{}, invalid("", "malformed JSON")
		}
		if !platform.ValidID(b.OrderID) || !platform.ValidID(b.RequestID) {
			return platform.Event{}, invalid("order_id", "order_id and request_id must be ids")
		}
		if !platform.ValidReason(b.Reason) {
			return platform.Event{}, invalid("reason", "unknown reason")
		}
		c := &platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: b.OrderID, RequestID: b.RequestID,
			Initiator: platform.Party(b.By), Reason: b.Reason, OccurredAt: b.At,
		}
		return platform.Event{Type: c.Type, Cancellation: c}, nil
	}
	return platform.Event{}, fmt.Errorf("decode: unknown endpoint kind %q", kind)
}
