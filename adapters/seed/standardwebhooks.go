package seed

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/hmacsig"
)

// Standard Webhooks (https://www.standardwebhooks.com): the header names,
// the secret and signature formats and the replay tolerance of the spec.
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"

	secretPrefix    = "whsec_"
	signaturePrefix = "v1,"

	// Tolerance is how far a delivery's timestamp may lie from now, either
	// way, before it is refused as a replay.
	Tolerance = 5 * time.Minute

	// maxTimestampDigits keeps the parsed timestamp far from overflow.
	maxTimestampDigits = 18
)

// The reasons a delivery is refused. They are built once so that refusing a
// forged delivery costs no allocation; each wraps ErrSignature or
// ErrTimestamp, which is all the HTTP edge may reveal.
var (
	errNoID           = fmt.Errorf("%w: missing webhook-id", adapters.ErrSignature)
	errBadID          = fmt.Errorf("%w: malformed webhook-id", adapters.ErrSignature)
	errNoTimestamp    = fmt.Errorf("%w: missing webhook-timestamp", adapters.ErrSignature)
	errBadTimestamp   = fmt.Errorf("%w: malformed webhook-timestamp", adapters.ErrSignature)
	errNoSignature    = fmt.Errorf("%w: missing webhook-signature", adapters.ErrSignature)
	errNoV1Signature  = fmt.Errorf("%w: no well-formed v1 entry in webhook-signature", adapters.ErrSignature)
	errMismatch       = fmt.Errorf("%w: no signature matches", adapters.ErrSignature)
	errTooOld         = fmt.Errorf("%w: webhook-timestamp is more than %v in the past", adapters.ErrTimestamp, Tolerance)
	errTooNew         = fmt.Errorf("%w: webhook-timestamp is more than %v in the future", adapters.ErrTimestamp, Tolerance)
	errDuplicateValue = fmt.Errorf("%w: header given more than once", adapters.ErrSignature)
)

// verifier checks Standard Webhooks signatures against an adapter's secrets.
// Verify runs concurrently; the only mutable state is the per-call scratch
// of hmacsig.
type verifier struct {
	keys *hmacsig.Keys
}

func newVerifier(secrets []string) (*verifier, error) {
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
	return &verifier{keys: k}, nil
}

// decodeSecret returns the HMAC key of a "whsec_" + base64 secret. Padded
// and unpadded standard base64 are both accepted. It is also the format
// check config runs (CheckSecret), so config accepts exactly what the
// verifier can key with.
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

// Verify authenticates a delivery and returns its webhook-id. It wraps
// adapters.ErrTimestamp for a well-formed timestamp more than Tolerance away
// from now, and adapters.ErrSignature for everything else.
func (v *verifier) Verify(h http.Header, body []byte, now time.Time) (string, error) {
	id, err := singleHeader(h, headerID, "webhook-id", errNoID)
	if err != nil {
		return "", err
	}
	if !adapters.ValidDeliveryID(id) {
		return "", errBadID
	}
	ts, err := singleHeader(h, headerTimestamp, "webhook-timestamp", errNoTimestamp)
	if err != nil {
		return "", err
	}
	sent, ok := parseTimestamp(ts)
	if !ok {
		return "", errBadTimestamp
	}
	sigs := headerValues(h, headerSignature, "webhook-signature")
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

// headerValues looks a header up by its canonical name and, for maps built
// by hand rather than by net/http, by its lower-case name.
func headerValues(h http.Header, canonical, lower string) []string {
	if v, ok := h[canonical]; ok {
		return v
	}
	return h[lower]
}

// singleHeader returns a header that must be present exactly once: two
// webhook-ids or timestamps leave it ambiguous what was signed.
func singleHeader(h http.Header, canonical, lower string, missing error) (string, error) {
	v := headerValues(h, canonical, lower)
	switch {
	case len(v) == 0 || v[0] == "":
		return "", missing
	case len(v) > 1:
		return "", errDuplicateValue
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
