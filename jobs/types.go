// Package jobs owns the asynchronous half of cancelsync: the Asynq task
// types and their handlers, the Redis order store with its atomic
// transitions, deadline timers, the sync-back retry policy and the dead
// letter. It knows no platform's wire format: adapters decode at the edge
// and jobs works on adapters' domain types.
package jobs

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Delivery is one verified, validated webhook on its way to the workers.
type Delivery struct {
	AdapterID  string         `json:"a"`
	WebhookID  string         `json:"w"`
	RequestID  string         `json:"r,omitempty"` // ingest request id, for log correlation
	ReceivedAt time.Time      `json:"t"`
	Event      adapters.Event `json:"e"`
}
