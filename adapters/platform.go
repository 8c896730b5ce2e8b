package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Kind is the inbound endpoint a webhook was posted to.
type Kind string

const (
	KindOrders        Kind = "orders"
	KindCancellations Kind = "cancellations"
)

// Authentication failures. Ingest answers both with 401 and says no more
// than which of the two failed.
var (
	ErrSignature = errors.New("signature")
	ErrTimestamp = errors.New("timestamp")
)

// FieldError is one field that failed validation; Field is the JSON path
// ("data.order_id", "data.items[0].price").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError is a body that decoded badly or broke a field rule.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid payload: " + strings.Join(parts, "; ")
}

// Inbound authenticates and decodes one platform's webhooks. Platforms
// differ in headers, signature scheme and payload, so both live here and
// not in the HTTP layer.
type Inbound interface {
	// Verify authenticates a delivery and returns its id; re-deliveries of
	// one event share the id. It returns an error wrapping ErrSignature or
	// ErrTimestamp when the delivery is not authentic.
	Verify(h http.Header, body []byte, now time.Time) (id string, err error)
	// Decode maps a verified body posted to kind into an Event. A body that
	// is not valid for kind gives a *ValidationError.
	Decode(kind Kind, h http.Header, body []byte) (Event, error)
}

// Update is one cancellation state pushed back to a platform.
type Update struct {
	OrderID            string       `json:"order_id"`
	RequestID          string       `json:"request_id"`
	State              State        `json:"state"`
	Version            int64        `json:"version"`
	Reason             string       `json:"reason"`
	DenialReason       DenialReason `json:"denial_reason"`
	RespondBy          *time.Time   `json:"respond_by"`
	Refund             *Refund      `json:"refund"`
	AffectsSellerStats bool         `json:"affects_seller_stats"`
	// Initiator is who asked for the cancellation (Shopify maps buyer to
	// CUSTOMER, merchant to OTHER); it is not part of the PUT body.
	Initiator Party `json:"-"`
}

// IdempotencyKey identifies one state of one request, so the platform can
// drop a push it already applied.
func IdempotencyKey(adapterID string, u Update) string {
	return fmt.Sprintf("%s:%s:%d", adapterID, u.RequestID, u.Version)
}

// Client pushes cancellation states back to a platform's API.
type Client interface {
	// Push sends u. nil: the platform has it. An error wrapping ErrNothingToSend: this
	// platform takes no call for u's state (the order view's sync.state is "skipped").
	// A *SyncError: the push failed; Retryable says whether to try again, after at least
	// RetryAfter when that is set.
	Push(ctx context.Context, idempotencyKey string, u Update) error
}

// ErrNothingToSend says a state has nothing to send on this platform (Shopify sends only
// "cancelled"). It is an outcome, not a failure.
var ErrNothingToSend = errors.New("nothing to send for this state on this platform")

// SyncError is a failed push, in the platform's own words but no protocol's terms.
type SyncError struct {
	Retryable  bool          // worth another attempt
	RetryAfter time.Duration // the platform asked to wait this long; 0 when it did not say
	Msg        string        // what went wrong ("HTTP 503: Service Unavailable", Shopify's user error), never a secret
}

func (e *SyncError) Error() string { return e.Msg }

// API is where and how an adapter syncs back.
type API struct {
	BaseURL string
	Token   string
	Timeout time.Duration
}

// Settings configure one adapter, one platform account.
type Settings struct {
	ID      string
	Secrets []string
	API     API
	// Windows overrides the platform's defaults where a field is non-zero.
	Windows Windows
}

// Platform builds adapters for one platform. A new platform is one value of
// this type in its own folder and one line in the registry.
type Platform struct {
	Name       string
	Rules      Rules
	Defaults   Windows
	NewInbound func(secrets []string) (Inbound, error)
	NewClient  func(api API) Client
}

// Adapter is one configured platform account.
type Adapter struct {
	ID       string
	Platform string
	Inbound  Inbound
	Client   Client
	Rules    Rules
	Windows  Windows
}

// New configures an adapter of platform p.
func (p Platform) New(s Settings) (*Adapter, error) {
	in, err := p.NewInbound(s.Secrets)
	if err != nil {
		return nil, fmt.Errorf("adapter %s: %w", s.ID, err)
	}
	w := p.Defaults
	if s.Windows.CancelWindow > 0 {
		w.CancelWindow = s.Windows.CancelWindow
	}
	if s.Windows.ResponseWindow > 0 {
		w.ResponseWindow = s.Windows.ResponseWindow
	}
	return &Adapter{ID: s.ID, Platform: p.Name, Inbound: in, Client: p.NewClient(s.API), Rules: p.Rules, Windows: w}, nil
}

// Registry is the set of platforms this build knows, by name.
type Registry map[string]Platform

// Names lists the registry's platforms, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
