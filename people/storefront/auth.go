package storefront

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cancelsync/cancelsync/platform"
)

// Token rules (docs/STOREFRONT.md).
const (
	// MaxTokenLife is how far ahead a token's exp may lie: a storefront
	// token is short-lived, so a leaked one is worth little.
	MaxTokenLife = time.Hour
	// clockLeeway absorbs clock skew between the token's minter and us on
	// exp and nbf (a Shopify session token's nbf is the second it was made).
	clockLeeway = 5 * time.Second
	// maxTokenBytes bounds what is parsed at all.
	maxTokenBytes = 4096
)

// tokenError is a refused token. The answer says no more than that the
// token is not valid, whatever the reason; the reason goes to the request's
// log line, so an operator can tell an expired token from a wrong key.
type tokenError struct{ reason string }

func (e *tokenError) Error() string { return "invalid token: " + e.reason }

var (
	errNoToken      = &tokenError{"no_token"}
	errTokenSize    = &tokenError{"token_too_large"}
	errNoKeys       = &tokenError{"no_storefront_keys"}
	errTokenExpired = &tokenError{"token_expired"}
	errTokenSig     = &tokenError{"token_signature_mismatch"}
	errTokenBad     = &tokenError{"token_invalid"}
	errTokenLife    = &tokenError{"token_lifetime_too_long"}
	errTokenShop    = &tokenError{"token_other_shop"}
	errTokenSubject = &tokenError{"token_bad_subject"}
)

// claims are the registered claims, and every claim as decoded for a
// platform's own (platform.BuyerClaims: Shopify's dest).
type claims struct {
	jwt.RegisteredClaims
	all map[string]any
}

func (c *claims) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.RegisteredClaims); err != nil {
		return err
	}
	return json.Unmarshal(b, &c.all)
}

// buyer verifies a bearer token for adapter a and returns the buyer it
// names: the sub claim, or what the adapter's platform makes of its claims
// (platform.BuyerClaims: for Shopify the customer id of its gid, once dest
// is the adapter's shop). The algorithm is pinned to HS256, exp is required
// and at most MaxTokenLife ahead, nbf is honoured.
func buyer(a *platform.Adapter, token string, now time.Time) (string, error) {
	// The adapter's storefront_secrets; a Shopify adapter's are its app
	// secrets (platform.Platform.StorefrontKeys). None: no storefront.
	keys := a.StorefrontSecrets
	switch {
	case len(keys) == 0:
		return "", errNoKeys
	case token == "":
		return "", errNoToken
	case len(token) > maxTokenBytes:
		return "", errTokenSize
	}
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = []byte(k)
	}
	var cl claims
	_, err := jwt.ParseWithClaims(token, &cl, func(*jwt.Token) (any, error) { return set, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(clockLeeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", errTokenExpired
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "", errTokenSig
	case err != nil:
		return "", errTokenBad
	}
	if cl.ExpiresAt.Sub(now) > MaxTokenLife+clockLeeway {
		return "", errTokenLife
	}
	sub := cl.Subject
	if a.BuyerClaims != nil {
		id, err := a.BuyerClaims.Buyer(sub, cl.all)
		switch {
		case errors.Is(err, platform.ErrTokenAccount):
			return "", errTokenShop
		case err != nil:
			return "", errTokenSubject
		}
		sub = id
	}
	if sub == "" || len(sub) > 128 {
		return "", errTokenSubject
	}
	return sub, nil
}

// bearer is the token of an "Authorization: Bearer <token>" header, "" if
// there is none.
func bearer(h string) string {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return ""
	}
	return strings.TrimSpace(h[len(scheme):])
}
