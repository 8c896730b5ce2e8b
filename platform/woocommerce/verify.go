package woocommerce

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/hmacsig"
)

// WooCommerce's delivery headers (WC_Webhook::deliver in WooCommerce core).
const (
	HeaderSignature = "X-WC-Webhook-Signature"
	HeaderID        = "X-WC-Webhook-ID"
	HeaderTopic     = "X-WC-Webhook-Topic"
	HeaderSource    = "X-WC-Webhook-Source"

	maxWebhookID = 20 // digits of a WordPress post id (64-bit)
	maxPingBody  = 64
)

// The reasons a delivery is refused, built once; each wraps ErrSignature,
// which is all the HTTP edge may reveal. WooCommerce signs no timestamp, so
// there is no ErrTimestamp here.
var (
	errNoSignature = platform.NewAuthError(platform.ReasonMissingHeader, HeaderSignature)
	errMismatch    = platform.NewAuthError(platform.ReasonSignatureMismatch, HeaderSignature)
	errNoID        = platform.NewAuthError(platform.ReasonMissingHeader, HeaderID)
	errBadID       = platform.NewAuthError(platform.ReasonMalformedHeader, HeaderID)
)

// verifier checks WooCommerce's HMAC with any of an adapter's webhook
// secrets (rotation: a store may have several webhooks, one per topic).
type verifier struct {
	keys *hmacsig.Keys
}

func newVerifier(secrets []string) (*verifier, error) {
	keys, err := hmacsig.FromSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return &verifier{keys: keys}, nil
}

// Verify authenticates a delivery: X-WC-Webhook-Signature is the base64 of
// HMAC-SHA256(secret, raw body). The id it returns is X-WC-Webhook-ID (the
// webhook's own id, the same for all its deliveries) and the SHA-256 of the
// body, so an identical re-delivery is a duplicate while a changed order
// re-sent under the same webhook is new.
func (v *verifier) Verify(h http.Header, body []byte, _ time.Time) (string, error) {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return "", errNoSignature
	}
	if !v.keys.Verify(sig, body) {
		return "", errMismatch
	}
	id := h.Get(HeaderID)
	if id == "" {
		return "", errNoID
	}
	if !platform.Digits(id, maxWebhookID) {
		return "", errBadID
	}
	return DeliveryID(id, body), nil
}

// DeliveryID is the dedup id of a delivery of body by webhook webhookID:
// "{webhookID}:{hex SHA-256 of body}". It is what answers carry as
// webhook_id.
func DeliveryID(webhookID string, body []byte) string {
	sum := sha256.Sum256(body)
	return webhookID + ":" + hex.EncodeToString(sum[:])
}

// Ping recognises the unsigned form-encoded body WooCommerce posts when a
// webhook is saved (WC_Webhook::deliver_ping: "webhook_id=N"), which must
// be answered 200 for WooCommerce to activate the webhook. Anything else,
// or anything signed, is not a ping.
func (v *verifier) Ping(h http.Header, body []byte) (string, bool) {
	if h.Get(HeaderSignature) != "" || len(body) == 0 || len(body) > maxPingBody {
		return "", false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form) != 1 || len(form["webhook_id"]) != 1 {
		return "", false
	}
	id := form["webhook_id"][0]
	if !platform.Digits(id, maxWebhookID) {
		return "", false
	}
	return id, true
}

// Sign returns the X-WC-Webhook-Signature WooCommerce puts on body when the
// webhook's secret is secret. It exists for tests and tools that play
// WooCommerce.
func Sign(secret string, body []byte) string {
	return hmacsig.Sign([]byte(secret), body)
}
