package platform

import (
	"slices"
	"time"
)

// Reasons are the cancellation reasons a request may give; a request with
// any other reason is refused at the edge (the webhook decoder in
// platform/v1payload, the storefront in people/storefront).
var Reasons = []string{
	"changed_mind", "ordered_by_mistake", "duplicate_order", "found_better_price", "payment_issue",
	"shipping_delay", "price_or_product_change", "seller_unresponsive", "unreliable_seller",
	"buyer_unresponsive", "other",
}

// MaxComments is how many characters a request's comments may hold.
const MaxComments = 1000

// ValidReason reports whether s is one of Reasons.
func ValidReason(s string) bool { return slices.Contains(Reasons, s) }

// MaxIDLen bounds order, buyer, seller and request ids.
const MaxIDLen = 128

// ValidID reports whether s is an order, buyer, seller or request id:
// 1–128 characters of [A-Za-z0-9._:-], and not "." or "..", which a sync
// URL's path would read as dot segments.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// MaxDeliveryIDLen bounds the id a platform gives a delivery (webhook-id,
// X-Shopify-Webhook-Id).
const MaxDeliveryIDLen = 255

// ValidDeliveryID reports whether s is 1–255 visible ASCII characters: a
// delivery id becomes part of a Redis key and is echoed in answers.
func ValidDeliveryID(s string) bool {
	if len(s) == 0 || len(s) > MaxDeliveryIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// InTimeRange reports whether t lies in [2000-01-01, 2100-01-01), the
// times every platform's payload may carry: a far-future time would be
// accepted and then fail in the workers for ever (its JSON cannot be
// written back beyond year 9999, and no deadline that far is real).
func InTimeRange(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Digits reports whether s is 1 to max ASCII decimal digits: the shape of
// the numeric ids Shopify and WooCommerce send (max 0 means no bound).
func Digits(s string, max int) bool {
	if len(s) == 0 || max > 0 && len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CurrencyCode reports whether c has the shape of an ISO 4217 code: three
// ASCII capital letters.
func CurrencyCode(c string) bool {
	return len(c) == 3 && 'A' <= c[0] && c[0] <= 'Z' && 'A' <= c[1] && c[1] <= 'Z' && 'A' <= c[2] && c[2] <= 'Z'
}
