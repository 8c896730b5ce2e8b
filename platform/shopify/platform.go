// Package shopify is a Shopify store: Shopify's own orders/* webhooks come
// in unchanged (HMAC over the body, no signed timestamp), a buyer or the
// merchant may cancel an unshipped order at once, and a cancellation is
// carried out with the Admin GraphQL API's orderCancel mutation. Buyers'
// requests arrive from the storefront endpoints or, signed with
// relay_secrets, from the merchant's own systems as the v1 cancellation
// bodies (docs/SHOPIFY.md).
package shopify

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// DefaultAPIVersion is the Admin API version used when api.version is not
// set: the newest this build was written against.
const DefaultAPIVersion = "2026-04"

// Platform is Shopify, for the registry.
var Platform = platform.Platform{
	Name:        "shopify",
	Lines:       true,
	Rules:       Policy{},
	Defaults:    Defaults(),
	Keys:        Keys,
	NewRules:    newRules,
	CheckSecret: CheckSecret,
	Check:       Check,
	NewInbound:  Endpoints,
	NewClient:   func(s platform.Settings) platform.Client { return NewClient(s) },
	NewBoundary: NewBoundary,
	// Buyers' storefront tokens are a customer-account extension's session
	// tokens, signed with the app's client secret.
	StorefrontKeys: func(s platform.Settings) []string { return s.Secrets },
	NewBuyerClaims: func(s platform.Settings) platform.BuyerClaims { return buyerClaims{shop: configOf(s).shop} },
}

var (
	shopDomain = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$`)
	apiVersion = regexp.MustCompile(`^(\d{4}-(01|04|07|10)|unstable)$`)
)

// CheckSecret accepts an app client secret as Shopify shows it: any string
// of 16 to 256 printable characters (docs/API.md), counted as characters, not
// bytes; "printable" is unicode.IsPrint, which takes the ASCII space and no
// other white space or control character. No "whsec_" is needed or expected.
// The error never quotes s.
//
// Two prefixes are certainly something else pasted in the wrong place: a
// Standard Webhooks secret (whsec_), which Shopify never signs with, and an
// Admin API access token (shpat_ and its kin), which belongs in api.token.
func CheckSecret(s string) error {
	switch {
	case strings.HasPrefix(s, "whsec_"):
		return errors.New(`is a Standard Webhooks secret ("whsec_..."), which Shopify never signs with: use the app's client secret (API secret key) as its API credentials show it; whsec_ secrets belong in relay_secrets`)
	case strings.HasPrefix(s, "shpat_"), strings.HasPrefix(s, "shpca_"), strings.HasPrefix(s, "shppa_"):
		return errors.New(`is an Admin API access token, which belongs in api.token: secrets takes the app's client secret (API secret key)`)
	}
	bad := errors.New("must be the app's client secret: 16 to 256 printable characters")
	if !utf8.ValidString(s) {
		return bad
	}
	if n := utf8.RuneCountInString(s); n < 16 || n > 256 {
		return bad
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return bad
		}
	}
	return nil
}

// Check reports problems with the keys a Shopify adapter owns.
func Check(s platform.Settings) []platform.FieldError {
	c, read := readConfig(s.Block)
	failed := map[string]bool{}
	for _, fe := range read {
		failed[fe.Field] = true
	}
	var errs []platform.FieldError
	add := func(field, msg string) {
		if !failed[field] {
			errs = append(errs, platform.FieldError{Field: field, Message: msg})
		}
	}
	switch {
	case c.shop == "":
		add("shop", "is required: the store's {name}.myshopify.com domain")
	case !shopDomain.MatchString(c.shop):
		add("shop", fmt.Sprintf("%q must be the store's {name}.myshopify.com domain", c.shop))
	}
	if s.API.Token == "" {
		add("api.token", "is required: the Admin API access token (scope write_orders)")
	}
	if c.version != "" && !apiVersion.MatchString(c.version) {
		add("api.version", fmt.Sprintf("%q must be an Admin API version like %s", c.version, DefaultAPIVersion))
	}
	for i, r := range c.relaySecrets {
		if err := standardwebhooks.CheckSecret(r); err != nil {
			add(fmt.Sprintf("relay_secrets[%d]", i), err.Error())
		}
	}
	switch c.refund {
	case "", refundOriginal, refundStoreCredit:
	default:
		add("policy.refund", fmt.Sprintf("%q must be original_payment or store_credit", c.refund))
	}
	if s.Windows.ResponseWindow > 0 {
		add("policy.response_window", "is not used by this platform: a Shopify request never waits for an answer")
	}
	errs = append(errs, read...)
	if len(s.StorefrontSecrets) > 0 {
		add("storefront_secrets", "is not used by this platform: storefront tokens are signed with the app's secrets")
	}
	return errs
}

// Endpoints is Platform.NewInbound: /orders takes Shopify's webhooks;
// /cancellations exists only with relay_secrets.
func Endpoints(s platform.Settings) (map[platform.Kind]platform.Inbound, error) {
	c := configOf(s)
	orders, err := newInbound(s.Secrets, c.shop)
	if err != nil {
		return nil, err
	}
	return v1api.WithRelay(orders, c.relaySecrets)
}
