// Package webhookstest holds the fakes the ingest's and the router's tests
// share: a tiny platform that signs and decodes its own webhooks, an
// enqueuer that remembers what it accepted, a log sink, and the client
// side: a signed post, a get, and the problem+json assertion.
package webhookstest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// Inbound is a tiny platform: X-Test-Id, X-Test-Timestamp (Unix
// seconds) and X-Test-Signature = hex HMAC-SHA256(secret, id.ts.body). Its
// payloads are {"type": ..., "data": {"order_id": ...}}.
type Inbound struct {
	Secret   []byte
	verifies atomic.Int64
}

// Verifies counts the calls of Verify.
func (f *Inbound) Verifies() int64 { return f.verifies.Load() }

func (f *Inbound) Verify(h http.Header, body []byte, now time.Time) (string, error) {
	f.verifies.Add(1)
	id, ts, sig := h.Get("X-Test-Id"), h.Get("X-Test-Timestamp"), h.Get("X-Test-Signature")
	if id == "" || ts == "" || sig == "" {
		return "", fmt.Errorf("missing header: %w", platform.ErrSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", fmt.Errorf("bad timestamp: %w", platform.ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "", fmt.Errorf("skew %s: %w", d, platform.ErrTimestamp)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, Sign(f.Secret, id, ts, body)) {
		return "", fmt.Errorf("mismatch: %w", platform.ErrSignature)
	}
	return id, nil
}

func (f *Inbound) Decode(kind platform.Kind, h http.Header, body []byte) (platform.Event, error) {
	if h.Get("X-Test-Panic") != "" {
		panic("decoder bug")
	}
	if h.Get("X-Test-Ignore") != "" {
		return platform.Event{}, fmt.Errorf("topic %s: %w", h.Get("X-Test-Ignore"), platform.ErrIgnored)
	}
	var p struct {
		Type platform.EventType `json:"type"`
		Data struct {
			OrderID string `json:"order_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "", Message: "malformed JSON"}}}
	}
	prefix := "cancellation."
	if kind == platform.KindOrders {
		prefix = "order."
	}
	if !strings.HasPrefix(string(p.Type), prefix) {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "type", Message: "not an event for /" + string(kind)}}}
	}
	if p.Data.OrderID == "" {
		return platform.Event{}, &platform.ValidationError{Errors: []platform.FieldError{{Field: "data.order_id", Message: "required"}}}
	}
	ev := platform.Event{Type: p.Type}
	if kind == platform.KindOrders {
		ev.Order = &platform.Order{ID: p.Data.OrderID}
	} else {
		ev.Cancellation = &platform.Cancellation{Type: p.Type, OrderID: p.Data.OrderID}
	}
	return ev, nil
}

// PingingInbound is a Inbound that also recognises an unsigned
// form-encoded "webhook_id=N" hello, as WooCommerce sends one.
type PingingInbound struct{ *Inbound }

func (p PingingInbound) Ping(_ http.Header, body []byte) (string, bool) {
	id, ok := strings.CutPrefix(string(body), "webhook_id=")
	if !ok || id == "" || strings.ContainsAny(id, "&=") {
		return "", false
	}
	return id, true
}

// Sign is Inbound's signature of a delivery.
func Sign(secret []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Enqueuer remembers accepted webhook ids, like the Asynq task id does.
type Enqueuer struct {
	mu         sync.Mutex
	err        error
	seen       map[string]bool
	deliveries []tasks.Delivery
}

func (f *Enqueuer) Enqueue(_ context.Context, d tasks.Delivery) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	key := d.AdapterID + "/" + d.WebhookID
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	if f.seen[key] {
		return true, nil
	}
	f.seen[key] = true
	f.deliveries = append(f.deliveries, d)
	return false, nil
}

func (f *Enqueuer) SetErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *Enqueuer) Accepted() []tasks.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tasks.Delivery(nil), f.deliveries...)
}

// LogBuffer is a log sink safe for the server's goroutines.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *LogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *LogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
