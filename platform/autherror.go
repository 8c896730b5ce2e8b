package platform

// AuthReason names the check that refused a delivery, in a word an operator
// can search the log for. It is logged and never sent to the sender, who
// learns only "invalid signature" or "invalid timestamp": a forger must not
// learn which part of the forgery worked.
type AuthReason string

const (
	// ReasonMissingHeader: a header the platform signs with is absent or
	// empty (AuthError.Header names it).
	ReasonMissingHeader AuthReason = "missing_header"
	// ReasonMalformedHeader: a header is present but not in the platform's
	// format (an id with spaces, a timestamp that is not digits, no v1
	// entry in webhook-signature).
	ReasonMalformedHeader AuthReason = "malformed_header"
	// ReasonDuplicateHeader: a header that must appear once appears twice.
	ReasonDuplicateHeader AuthReason = "duplicate_header"
	// ReasonSignatureMismatch: well formed, but no configured secret gives
	// that signature (a wrong or rotated-out secret, or a changed body).
	ReasonSignatureMismatch AuthReason = "signature_mismatch"
	// ReasonStaleTimestamp: the signed timestamp is too far in the past.
	ReasonStaleTimestamp AuthReason = "stale_timestamp"
	// ReasonFutureTimestamp: the signed timestamp is too far in the future
	// (usually a sender's clock).
	ReasonFutureTimestamp AuthReason = "future_timestamp"
	// ReasonShopDomainMismatch: correctly signed, but for another shop than
	// the adapter's (Shopify's X-Shopify-Shop-Domain).
	ReasonShopDomainMismatch AuthReason = "shop_domain_mismatch"
	// ReasonWrongEndpoint: the platform's own webhook, posted to the
	// endpoint of relayed cancellations rather than to /orders.
	ReasonWrongEndpoint AuthReason = "wrong_endpoint"
)

// AuthError is a refused delivery. It wraps ErrSignature or ErrTimestamp,
// which is all the HTTP edge may reveal; Reason and Header are for the log.
// Verifiers build their AuthErrors once, so refusing a forgery allocates
// nothing.
type AuthError struct {
	Reason AuthReason
	// Header is the header the check concerned, when one did.
	Header string
	kind   error // ErrSignature or ErrTimestamp
}

// NewAuthError returns a refusal for reason; header may be empty. Stale and
// future timestamps wrap ErrTimestamp, every other reason ErrSignature.
func NewAuthError(reason AuthReason, header string) *AuthError {
	kind := ErrSignature
	if reason == ReasonStaleTimestamp || reason == ReasonFutureTimestamp {
		kind = ErrTimestamp
	}
	return &AuthError{Reason: reason, Header: header, kind: kind}
}

func (e *AuthError) Error() string {
	if e.Header == "" {
		return e.kind.Error() + ": " + string(e.Reason)
	}
	return e.kind.Error() + ": " + string(e.Reason) + " (" + e.Header + ")"
}

func (e *AuthError) Unwrap() error { return e.kind }
