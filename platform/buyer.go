package platform

import "errors"

// BuyerClaims names the buyer of a verified storefront token on a platform
// whose buyer tokens carry claims of their own (Shopify's session tokens:
// the store in dest, the customer as a gid in sub). The storefront checks
// the signature, exp and nbf first; on a platform without BuyerClaims the
// token's sub is the buyer.
type BuyerClaims interface {
	// Buyer returns the buyer id that sub and the token's other claims
	// (its decoded payload) name for this adapter. Its errors wrap
	// ErrTokenAccount or ErrTokenSubject, which the storefront logs as the
	// refusal's reason and never answers.
	Buyer(sub string, claims map[string]any) (string, error)
}

// Why a buyer token's platform claims were refused.
var (
	// ErrTokenAccount: the token was made for another account of the
	// platform (another Shopify store).
	ErrTokenAccount = errors.New("token for another account")
	// ErrTokenSubject: the token's subject names no buyer.
	ErrTokenSubject = errors.New("token subject names no buyer")
)
