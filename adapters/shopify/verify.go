package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Shopify's delivery headers, without the "X-" that older deliveries carry
// (https://shopify.dev/docs/apps/build/webhooks): both spellings are read.
const (
	headerHmac    = "Shopify-Hmac-Sha256"
	headerID      = "Shopify-Webhook-Id"
	headerShop    = "Shopify-Shop-Domain"
	headerTopic   = "Shopify-Topic"
	maxIDLen      = 255
	encodedMACLen = 44 // padded base64 of a SHA-256 MAC
)

// The reasons a delivery is refused, built once; each wraps ErrSignature,
// which is all the HTTP edge may reveal. Shopify signs no timestamp, so
// there is no ErrTimestamp here.
var (
	errNoHmac   = fmt.Errorf("%w: missing X-Shopify-Hmac-Sha256", adapters.ErrSignature)
	errMismatch = fmt.Errorf("%w: no secret matches X-Shopify-Hmac-Sha256", adapters.ErrSignature)
	errNoID     = fmt.Errorf("%w: missing or malformed X-Shopify-Webhook-Id", adapters.ErrSignature)
	errShop     = fmt.Errorf("%w: X-Shopify-Shop-Domain is not this adapter's shop", adapters.ErrSignature)
)

// verifier checks Shopify's HMAC with any of an adapter's client secrets
// and that the delivery is for its shop.
type verifier struct {
	keys [][]byte
	shop string
	pool sync.Pool // *macScratch
}

type macScratch struct {
	macs    []hash.Hash
	sum     [sha256.Size]byte
	decoded [encodedMACLen]byte
}

func newVerifier(secrets []string, shop string) (*verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no webhook secret configured")
	}
	v := &verifier{keys: make([][]byte, len(secrets)), shop: shop}
	for i, s := range secrets {
		if s == "" {
			return nil, fmt.Errorf("secrets[%d]: empty", i)
		}
		v.keys[i] = []byte(s)
	}
	v.pool.New = func() any {
		s := &macScratch{macs: make([]hash.Hash, len(v.keys))}
		for i, k := range v.keys {
			s.macs[i] = hmac.New(sha256.New, k)
		}
		return s
	}
	return v, nil
}

// Verify authenticates a delivery and returns its X-Shopify-Webhook-Id:
// the HMAC first (an unsigned delivery says nothing else), then the id and
// the shop.
func (v *verifier) Verify(h http.Header, body []byte, _ time.Time) (string, error) {
	sig := header(h, headerHmac)
	if sig == "" {
		return "", errNoHmac
	}
	s := v.pool.Get().(*macScratch)
	defer v.pool.Put(s)
	if len(sig) != encodedMACLen {
		return "", errMismatch
	}
	n, err := base64.StdEncoding.Decode(s.decoded[:], []byte(sig))
	if err != nil || n != sha256.Size {
		return "", errMismatch
	}
	ok := false
	for _, mac := range s.macs {
		mac.Reset()
		mac.Write(body)
		if hmac.Equal(mac.Sum(s.sum[:0]), s.decoded[:n]) {
			ok = true
			break
		}
	}
	if !ok {
		return "", errMismatch
	}
	id := header(h, headerID)
	if !validID(id) {
		return "", errNoID
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

// validID reports whether id is 1–255 visible ASCII characters: it becomes
// part of a Redis key and is echoed in answers.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// Sign returns the X-Shopify-Hmac-Sha256 value Shopify puts on body when
// the app's client secret is secret. It exists for tests and tools that
// play Shopify.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
