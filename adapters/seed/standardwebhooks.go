package seed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
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

	// maxIDLen bounds webhook-id, which becomes part of a Redis key.
	maxIDLen = 255
	// maxTimestampDigits keeps the parsed timestamp far from overflow.
	maxTimestampDigits = 18
	// encodedSigLen is the padded base64 length of a SHA-256 MAC.
	encodedSigLen = 44
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
// Verify runs concurrently; the only mutable state is per-call scratch space
// handed out by a sync.Pool.
type verifier struct {
	keys [][]byte
	pool sync.Pool // *macScratch
}

// macScratch is one caller's working set: a ready HMAC per key, the signed
// prefix, the MACs of this delivery and a buffer to decode signatures into.
type macScratch struct {
	macs    []hash.Hash
	sums    [][sha256.Size]byte
	prefix  []byte
	encoded [encodedSigLen]byte
	decoded [encodedSigLen]byte
}

func newVerifier(secrets []string) (*verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("no webhook secret configured")
	}
	v := &verifier{keys: make([][]byte, len(secrets))}
	for i, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil {
			// Never echo the secret itself: name it by position.
			return nil, fmt.Errorf("secrets[%d]: %w", i, err)
		}
		v.keys[i] = key
	}
	v.pool.New = func() any {
		s := &macScratch{
			macs:   make([]hash.Hash, len(v.keys)),
			sums:   make([][sha256.Size]byte, len(v.keys)),
			prefix: make([]byte, 0, 64),
		}
		for i, k := range v.keys {
			s.macs[i] = hmac.New(sha256.New, k)
		}
		return s
	}
	return v, nil
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
	if !validID(id) {
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

	s := v.pool.Get().(*macScratch)
	defer v.pool.Put(s)
	computed := false
	for _, header := range sigs {
		for entry := range strings.SplitSeq(header, " ") {
			sig, ok := s.decode(entry)
			if !ok {
				continue
			}
			if !computed {
				s.sign(id, ts, body)
				computed = true
			}
			for i := range s.sums {
				if hmac.Equal(s.sums[i][:], sig) {
					return id, nil
				}
			}
		}
	}
	if !computed {
		return "", errNoV1Signature
	}
	return "", errMismatch
}

// decode returns the MAC of one "v1,<base64>" entry; entries of other
// versions (v1a, future schemes) and malformed ones are skipped.
func (s *macScratch) decode(entry string) ([]byte, bool) {
	enc, ok := strings.CutPrefix(entry, signaturePrefix)
	if !ok || len(enc) != encodedSigLen {
		return nil, false
	}
	// Copy into a fixed buffer rather than converting the string, which
	// would allocate on every delivery.
	n := copy(s.encoded[:], enc)
	m, err := base64.StdEncoding.Decode(s.decoded[:], s.encoded[:n])
	if err != nil || m != sha256.Size {
		return nil, false
	}
	return s.decoded[:m], true
}

// sign computes the MAC of {id}.{timestamp}.{body} under every key.
func (s *macScratch) sign(id, ts string, body []byte) {
	s.prefix = append(s.prefix[:0], id...)
	s.prefix = append(s.prefix, '.')
	s.prefix = append(s.prefix, ts...)
	s.prefix = append(s.prefix, '.')
	for i, mac := range s.macs {
		mac.Reset()
		mac.Write(s.prefix)
		mac.Write(body)
		mac.Sum(s.sums[i][:0])
	}
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

// validID reports whether id is 1–255 visible ASCII characters: it is
// stored as part of a Redis key and echoed in responses.
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
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", id, at.Unix())
	mac.Write(body)
	return signaturePrefix + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
