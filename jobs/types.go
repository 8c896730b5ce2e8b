// Package jobs owns the asynchronous half of cancelsync: the Asynq task
// types and their handlers, the Redis order store with its atomic
// transitions, deadline timers, the sync-back retry policy and the dead
// letter. It knows no platform's wire format: adapters decode at the edge
// and jobs works on adapters' domain types.
package jobs

import (
	"errors"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// ErrNotFound is returned for an order the store knows nothing about.
var ErrNotFound = errors.New("not found")

// Delivery is one verified, validated webhook on its way to the workers.
type Delivery struct {
	AdapterID  string         `json:"a"`
	WebhookID  string         `json:"w"`
	RequestID  string         `json:"r,omitempty"` // ingest request id, for log correlation
	ReceivedAt time.Time      `json:"t"`
	Event      adapters.Event `json:"e"`
}

// OrderView is the read API's document for one order (docs/API.md §6).
type OrderView struct {
	Adapter      string            `json:"adapter"`
	Platform     string            `json:"platform"`
	OrderID      string            `json:"order_id"`
	Order        *OrderSummary     `json:"order"`
	Cancellation *CancellationView `json:"cancellation"`
	Sync         *SyncView         `json:"sync"`
	Conflict     *string           `json:"conflict"`
	History      []HistoryEntry    `json:"history"`
	// Requests are the order's requests, newest first, at most 50.
	Requests []CancellationView `json:"requests"`
}

// OrderSummary is the order part of the view.
type OrderSummary struct {
	Status    adapters.OrderStatus `json:"status"`
	PlacedAt  time.Time            `json:"placed_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	ShippedAt *time.Time           `json:"shipped_at"`
	Total     adapters.Money       `json:"total"`
	BuyerID   string               `json:"buyer_id"`
	// Items are the snapshot's items as the platform sent them (none
	// when it sent none).
	Items []adapters.Item `json:"items"`
}

// CancellationView is the cancellation part of the view.
type CancellationView struct {
	RequestID          string                 `json:"request_id"`
	State              adapters.State         `json:"state"`
	Version            int64                  `json:"version"`
	Initiator          adapters.Party         `json:"initiator"`
	Reason             string                 `json:"reason"`
	DenialReason       *adapters.DenialReason `json:"denial_reason"`
	RespondBy          *time.Time             `json:"respond_by"`
	Refund             *adapters.Refund       `json:"refund"`
	AffectsSellerStats bool                   `json:"affects_seller_stats"`
}

// SyncView says how far the latest state got to the platform.
type SyncView struct {
	State     string  `json:"state"` // pending | synced | failed | skipped
	Attempts  int     `json:"attempts"`
	LastError *string `json:"last_error"`
	Version   int64   `json:"version"`
}

// HistoryEntry is one event applied to (or ignored by) the order.
type HistoryEntry struct {
	At    time.Time          `json:"at"`
	Event adapters.EventType `json:"event"`
	State *adapters.State    `json:"state"`
	Note  *string            `json:"note"`
}
