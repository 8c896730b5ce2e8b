package shopify

import (
	"fmt"
	"strings"

	"github.com/cancelsync/cancelsync/platform"
)

// customerGID prefixes a customer's id in a session token's sub.
const customerGID = "gid://shopify/Customer/"

// buyerClaims checks a customer-account extension's session token: dest
// is the adapter's store (with or without https://), sub the customer as a
// gid, whose number is the buyer.
type buyerClaims struct{ shop string }

var _ platform.BuyerClaims = buyerClaims{}

func (b buyerClaims) Buyer(sub string, claims map[string]any) (string, error) {
	dest, _ := claims["dest"].(string)
	if b.shop == "" || strings.TrimPrefix(dest, "https://") != b.shop {
		return "", fmt.Errorf("dest: %w", platform.ErrTokenAccount)
	}
	id, ok := strings.CutPrefix(sub, customerGID)
	if !ok || !platform.Digits(id, 20) {
		return "", fmt.Errorf("sub: %w", platform.ErrTokenSubject)
	}
	return id, nil
}
