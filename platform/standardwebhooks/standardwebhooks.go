// Package standardwebhooks is the Standard Webhooks protocol
// (https://www.standardwebhooks.com) as cancelsync speaks it: the
// "whsec_" secret format, the v1 HMAC-SHA256 signature over
// "{id}.{timestamp}.{body}", the replay tolerance, and the headers under
// both spellings, the spec's webhook-* and Svix's svix-*. It knows nothing
// of what a body says; the platforms that use it pair it with their decoder.
package standardwebhooks

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/hmacsig"
)

// Standard Webhooks (https://www.standardwebhooks.com): the header names,
// the secret and signature formats and the replay tolerance of the spec.
const (
	secretPrefix    = "whsec_"
	signaturePrefix = "v1,"

	// Tolerance is how far a delivery's timestamp may lie from now, either
	// way, before it is refused as a replay.
	Tolerance = 5 * time.Minute

	// maxTimestampDigits keeps the parsed timestamp far from overflow.
	maxTimestampDigits = 18
)

// headerName is one of the three headers under both of its spellings: the
// spec's webhook-* and Svix's svix-*, which Svix sends by default and its
// own libraries accept alongside webhook-*. Each is looked up by its
// canonical form (what net/http makes of it) and in lower case (a map
// built by hand).
type headerName struct {
	canonical, lower, svixCanonical, svixLower string
}

var (
	headerID        = headerName{"Webhook-Id", "webhook-id", "Svix-Id", "svix-id"}
	headerTimestamp = headerName{"Webhook-Timestamp", "webhook-timestamp", "Svix-Timestamp", "svix-timestamp"}
	headerSignature = headerName{"Webhook-Signature", "webhook-signature", "Svix-Signature", "svix-signature"}
)

// The reasons a delivery is refused. They are built once so that refusing a
// forged delivery costs no allocation; each wraps ErrSignature or
// ErrTimestamp, which is all the HTTP edge may reveal.
var (
	errNoID           = platform.NewAuthError(platform.ReasonMissingHeader, "webhook-id")
	errBadID          = platform.NewAuthError(platform.ReasonMalformedHeader, "webhook-id")
	errNoTimestamp    = platform.NewAuthError(platform.ReasonMissingHeader, "webhook-timestamp")
	errBadTimestamp   = platform.NewAuthError(platform.ReasonMalformedHeader, "webhook-timestamp")
	errNoSignature    = platform.NewAuthError(platform.ReasonMissingHeader, "webhook-signature")
	errNoV1Signature  = platform.NewAuthError(platform.ReasonMalformedHeader, "webhook-signature")
	errMismatch       = platform.NewAuthError(platform.ReasonSignatureMismatch, "webhook-signature")
	errTooOld         = platform.NewAuthError(platform.ReasonStaleTimestamp, "webhook-timestamp")
	errTooNew         = platform.NewAuthError(platform.ReasonFutureTimestamp, "webhook-timestamp")
	errDuplicateID    = platform.NewAuthError(platform.ReasonDuplicateHeader, "webhook-id")
	errDuplicateStamp = platform.NewAuthError(platform.ReasonDuplicateHeader, "webhook-timestamp")
)

// Verifier checks Standard Webhooks signatures against an adapter's secrets.
// Verify runs concurrently; the only mutable state is the per-call scratch
// of hmacsig.
type Verifier struct {
	keys *hmacsig.Keys
}

// NewVerifier keys a Verifier with every one of secrets ("whsec_" +
// base64), so a rotation accepts the old and the new secret at once. Its
// error names a bad secret by position and never quotes it.
func NewVerifier(secrets []string) (*Verifier, error) {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			// Never echo the secret itself: name it by position.
			return nil, fmt.Errorf("secrets[%d]: %w", i, err)
		}
		keys[i] = key
	}
	k, err := hmacsig.New(keys)
	if err != nil {
		return nil, err
	}
	return &Verifier{keys: k}, nil
}

// CheckSecret says why s is not a Standard Webhooks secret: "whsec_" and
// the base64, padded or not, of a non-empty key. It accepts exactly what
// NewVerifier can key with. The error never quotes s.
func CheckSecret(s string) error {
	if _, err := decodeSecret(s); err != nil {
		return errSecretFormat
	}
	return nil
}

var errSecretFormat = errors.New(`must be "whsec_" followed by base64, as the platform shows it; to make one: echo "whsec_$(openssl rand -base64 32)"`)

// decodeSecret returns the HMAC key of a "whsec_" + base64 secret. Padded
// and unpadded standard base64 are both accepted.
func decodeSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New(`secret must start with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil {
		return nil, errors.New(`secret must be "whsec_" followed by base64`)
	}
	if len(key) == 0 {
		return nil, errors.New(`secret has an empty key after "whsec_"`)
	}
	return key, nil
}

// Verify authenticates a delivery and returns its webhook-id. Its refusals
// are *platform.AuthError: wrapping platform.ErrTimestamp for a well-formed
// timestamp more than Tolerance away from now, platform.ErrSignature for
// everything else.
func (v *Verifier) Verify(h http.Header, body []byte, now time.Time) (string, error) {
	id, err := singleHeader(h, headerID, errNoID, errDuplicateID)
	if err != nil {
		return "", err
	}
	if !platform.ValidDeliveryID(id) {
		return "", errBadID
	}
	ts, err := singleHeader(h, headerTimestamp, errNoTimestamp, errDuplicateStamp)
	if err != nil {
		return "", err
	}
	sent, ok := parseTimestamp(ts)
	if !ok {
		return "", errBadTimestamp
	}
	sigs := headerValues(h, headerSignature)
	if len(sigs) == 0 {
		return "", errNoSignature
	}
	// Refuse replays before spending any HMAC on them. Whole seconds are
	// what the sender signed, so compare in seconds.
	switch skew := now.Unix() - sent; {
	case skew > int64(Tolerance/time.Second):
		return "", errTooOld
	case skew < -int64(Tolerance/time.Second):
		return "", errTooNew
	}

	s := v.keys.Get()
	defer v.keys.Put(s)
	computed := false
	for _, header := range sigs {
		for entry := range strings.SplitSeq(header, " ") {
			// Entries of other versions (v1a, future schemes) and
			// malformed ones are skipped.
			enc, ok := strings.CutPrefix(entry, signaturePrefix)
			if !ok {
				continue
			}
			sig, ok := s.Decode(enc)
			if !ok {
				continue
			}
			if !computed {
				s.Sum(body, id, ".", ts, ".") // {id}.{timestamp}.{body}
				computed = true
			}
			if s.Match(sig) {
				return id, nil
			}
		}
	}
	if !computed {
		return "", errNoV1Signature
	}
	return "", errMismatch
}

// headerValues returns a header's values under the spec's spelling or,
// when it is absent, under Svix's.
func headerValues(h http.Header, n headerName) []string {
	for _, k := range [...]string{n.canonical, n.lower, n.svixCanonical, n.svixLower} {
		if v, ok := h[k]; ok {
			return v
		}
	}
	return nil
}

// singleHeader returns a header that must be present exactly once: two
// webhook-ids or timestamps leave it ambiguous what was signed.
func singleHeader(h http.Header, n headerName, missing, duplicate error) (string, error) {
	v := headerValues(h, n)
	switch {
	case len(v) == 0 || v[0] == "":
		return "", missing
	case len(v) > 1:
		return "", duplicate
	}
	return v[0], nil
}

// parseTimestamp parses Unix seconds written as plain digits; signs,
// spaces and fractions are malformed.
func parseTimestamp(ts string) (int64, bool) {
	if len(ts) == 0 || len(ts) > maxTimestampDigits {
		return 0, false
	}
	for i := 0; i < len(ts); i++ {
		if ts[i] < '0' || ts[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	return n, err == nil
}

// Sign returns the webhook-signature header value ("v1,<base64>") a sender
// holding secret puts on a delivery of body with the given id and time. It
// exists for tests and tools that play the platform.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	signed := append(fmt.Appendf(nil, "%s.%d.", id, at.Unix()), body...)
	return signaturePrefix + hmacsig.Sign(key, signed), nil
}
