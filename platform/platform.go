package platform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform/configblock"
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
type FieldError = configblock.FieldError

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

// ErrIgnored says a verified delivery is one the adapter does not act on
// (another topic, a draft): Decode returns an error wrapping it, and ingest
// answers 200 "ignored" and queues nothing.
var ErrIgnored = errors.New("delivery ignored")

// Inbound authenticates and decodes one platform's webhooks on one
// endpoint. Platforms differ in headers, signature scheme and payload, so
// both live here and not in the HTTP layer.
type Inbound interface {
	// Verify authenticates a delivery and returns its id; re-deliveries of
	// one event share the id. It returns an error wrapping ErrSignature or
	// ErrTimestamp when the delivery is not authentic.
	Verify(h http.Header, body []byte, now time.Time) (id string, err error)
	// Decode maps a verified body posted to kind into an Event. A body that
	// is not valid for kind gives a *ValidationError; a verified delivery
	// the adapter does not act on gives an error wrapping ErrIgnored.
	Decode(kind Kind, h http.Header, body []byte) (Event, error)
}

// Pinger is an Inbound that recognises a platform's unsigned, non-JSON
// "hello" delivery (WooCommerce's form-encoded webhook_id=N when a webhook
// is created). Ingest asks it before refusing a body that is not JSON; ok
// means answer 200 "ignored" with id as the webhook_id.
type Pinger interface {
	Ping(h http.Header, body []byte) (id string, ok bool)
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
	// Lines are the cancelled lines with their refunds; nil when the
	// request is for the whole order.
	Lines []Line `json:"lines"`
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

// API is where and how an adapter syncs back: the api keys every adapter
// has. A platform's own api keys (Shopify's api.version, WooCommerce's
// consumer key) are in its Block.
type API struct {
	BaseURL string
	Token   string
	Timeout time.Duration
}

// Settings configure one adapter, one platform account: the keys every
// adapter has, and Block, the keys only its platform reads.
type Settings struct {
	ID      string
	Secrets []string
	API     API
	// StorefrontSecrets are HS256 keys of buyers' storefront tokens.
	StorefrontSecrets []string
	// MerchantTokens are bearer tokens that see only this adapter.
	MerchantTokens []string
	// Windows overrides the platform's defaults where a field is non-zero.
	Windows Windows
	// Block holds the keys only the platform reads ("shop",
	// "relay_secrets", "api.version", "policy.refund", ...): its Check
	// parses and validates them, and its constructors read them.
	Block Block
}

// Platform builds adapters for one platform. A new platform is one value of
// this type in its own folder and one line in the registry.
type Platform struct {
	Name     string
	Rules    Rules
	Defaults Windows
	// Keys are the config keys the platform reads besides those every
	// adapter has (docs/API.md §2); config hands it their values in
	// Settings.Block and refuses them on every other platform.
	Keys []Key
	// NewRules, when set, builds one adapter's rules from its settings;
	// otherwise every adapter of the platform has Rules.
	NewRules func(Settings) Rules
	// CheckSecret says why s is not a secret in this platform's format, or
	// nil. Its error never quotes s.
	CheckSecret func(s string) error
	// Check reports problems with the settings this platform owns: its
	// Block (every key parsed, every key it does not read refused) and the
	// common keys it requires or does not use. Field names are relative to
	// the adapter: "shop", "api.consumer_key", "policy.status_map.shipped".
	// Messages never quote a secret.
	Check func(Settings) []FieldError
	// NewInbound builds the adapter's inbound endpoints; a kind without an
	// entry answers 404.
	NewInbound func(Settings) (map[Kind]Inbound, error)
	NewClient  func(Settings) Client
	// StorefrontKeys, when set, gives the HS256 keys of the adapter's buyer
	// tokens; otherwise they are Settings.StorefrontSecrets. Shopify signs
	// a customer-account extension's session token with the app's secret,
	// so its keys are its secrets.
	StorefrontKeys func(Settings) []string
	// NewBuyerClaims, when set, checks the claims of the adapter's buyer
	// tokens beyond the registered ones; otherwise sub is the buyer.
	NewBuyerClaims func(Settings) BuyerClaims
	// Credentials, when set, are forms of the platform's secret keys a
	// client sends besides the values themselves (WooCommerce's Basic auth
	// pair), for the adapter's Redactor.
	Credentials func(Settings) []string
	// NewBoundary, when set, builds the adapter's live order reads, its
	// reconciliation poll's settings and its webhook subscriptions
	// (docs/API.md §13).
	NewBoundary func(Settings) *Boundary
	// Lines says the platform can cancel some lines of an order and refund
	// them (docs/API.md, "Cancelling some lines"); a request for lines to
	// an adapter of any other platform is refused naming data.lines.
	Lines bool
}

// Adapter is one configured platform account.
type Adapter struct {
	ID       string
	Platform string
	Inbound  map[Kind]Inbound
	Client   Client
	Rules    Rules
	Windows  Windows
	// StorefrontSecrets and MerchantTokens are copied from Settings for the
	// HTTP edges that serve people (storefront, console); StorefrontSecrets
	// are the platform's StorefrontKeys when it has them.
	StorefrontSecrets []string
	MerchantTokens    []string
	// BuyerClaims checks a buyer token's platform claims; nil: the token's
	// sub is the buyer.
	BuyerClaims BuyerClaims
	// Redactor hides every credential of the adapter (its API block's,
	// its webhook, relay and storefront secrets, its merchant tokens) in a
	// sync failure before it is recorded or logged: a platform's error body
	// may echo what it was sent. The zero value hides nothing.
	Redactor Redactor
	// Boundary reads orders live and lists the updated ones; nil for a
	// platform that cannot (docs/API.md §13).
	Boundary *Boundary
	// Lines is the platform's Lines.
	Lines bool
}

// New configures an adapter of platform p.
func (p Platform) New(s Settings) (*Adapter, error) {
	in, err := p.NewInbound(s)
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
	rules := p.Rules
	if p.NewRules != nil {
		rules = p.NewRules(s)
	}
	keys := s.StorefrontSecrets
	if p.StorefrontKeys != nil {
		keys = p.StorefrontKeys(s)
	}
	var claims BuyerClaims
	if p.NewBuyerClaims != nil {
		claims = p.NewBuyerClaims(s)
	}
	secrets := append(s.API.Credentials(), s.Block.SecretValues(p.Keys)...)
	if p.Credentials != nil {
		secrets = append(secrets, p.Credentials(s)...)
	}
	for _, list := range [][]string{s.Secrets, s.StorefrontSecrets, s.MerchantTokens} {
		secrets = append(secrets, list...)
	}
	var boundary *Boundary
	if p.NewBoundary != nil {
		boundary = p.NewBoundary(s)
	}
	return &Adapter{
		Boundary: boundary,
		ID:       s.ID, Platform: p.Name, Inbound: in, Client: p.NewClient(s), Rules: rules, Windows: w,
		StorefrontSecrets: slices.Clone(keys), MerchantTokens: slices.Clone(s.MerchantTokens),
		BuyerClaims: claims, Redactor: NewRedactor(secrets...), Lines: p.Lines,
	}, nil
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

// Keys lists every key the registry's platforms read besides those every
// adapter has, each once, sorted: what config refuses as unknown when no
// platform reads it.
func (r Registry) Keys() []string {
	seen := map[string]bool{}
	for _, p := range r {
		for _, k := range p.Keys {
			seen[k.Name] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
