package shopify

import (
	"net/http"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/hmacsig"
)

// Shopify's delivery headers, without the "X-" that older deliveries carry
// (https://shopify.dev/docs/apps/build/webhooks): both spellings are read.
const (
	headerHmac  = "Shopify-Hmac-Sha256"
	headerID    = "Shopify-Webhook-Id"
	headerShop  = "Shopify-Shop-Domain"
	headerTopic = "Shopify-Topic"
)

// The reasons a delivery is refused, built once; each wraps ErrSignature,
// which is all the HTTP edge may reveal. Shopify signs no timestamp, so
// there is no ErrTimestamp here.
var (
	errNoHmac   = platform.NewAuthError(platform.ReasonMissingHeader, "X-Shopify-Hmac-Sha256")
	errMismatch = platform.NewAuthError(platform.ReasonSignatureMismatch, "X-Shopify-Hmac-Sha256")
	errNoID     = platform.NewAuthError(platform.ReasonMissingHeader, "X-Shopify-Webhook-Id")
	errBadID    = platform.NewAuthError(platform.ReasonMalformedHeader, "X-Shopify-Webhook-Id")
	errShop     = platform.NewAuthError(platform.ReasonShopDomainMismatch, "X-Shopify-Shop-Domain")
)

// verifier checks Shopify's HMAC with any of an adapter's client secrets
// and that the delivery is for its shop.
type verifier struct {
	keys *hmacsig.Keys
	shop string
}

func newVerifier(secrets []string, shop string) (*verifier, error) {
	keys, err := hmacsig.FromSecrets(secrets)
	if err != nil {
		return nil, err
	}
	return &verifier{keys: keys, shop: shop}, nil
}

// Verify authenticates a delivery and returns its X-Shopify-Webhook-Id:
// the HMAC first (an unsigned delivery says nothing else), then the id and
// the shop.
func (v *verifier) Verify(h http.Header, body []byte, _ time.Time) (string, error) {
	sig := header(h, headerHmac)
	if sig == "" {
		return "", errNoHmac
	}
	if !v.keys.Verify(sig, body) {
		return "", errMismatch
	}
	id := header(h, headerID)
	if id == "" {
		return "", errNoID
	}
	if !platform.ValidDeliveryID(id) {
		return "", errBadID
	}
	if !strings.EqualFold(header(h, headerShop), v.shop) {
		return "", errShop
	}
	return id, nil
}

// header reads a Shopify header under either spelling ("X-Shopify-Topic",
// "shopify-topic"), in any case: net/http canonicalises what it received,
// and a map built by hand is searched case-insensitively.
func header(h http.Header, name string) string {
	if v := h.Get("X-" + name); v != "" {
		return v
	}
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if strings.EqualFold(k, name) || strings.EqualFold(k, "X-"+name) {
			return vs[0]
		}
	}
	return ""
}

// Sign returns the X-Shopify-Hmac-Sha256 value Shopify puts on body when
// the app's client secret is secret. It exists for tests and tools that
// play Shopify.
func Sign(secret string, body []byte) string {
	return hmacsig.Sign([]byte(secret), body)
}
