package merchant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/cancelsync/cancelsync/orderstore"
)

// An Idempotency-Key on a console action stands for its first request
// (docs/API.md, "The JSON twins"): the key keeps that request's
// fingerprint for keyTTL, and the same key with another order or body is
// refused, not answered "duplicate" for a request that order never got.

// keyTTL is how long a key's fingerprint is kept, as the storefront's.
const keyTTL = 24 * time.Hour

// ErrKeyReused is an Idempotency-Key repeated with another order or body.
var ErrKeyReused = errors.New("idempotency key first used with another order or body")

// fingerprint is what a repeat of a key must match: the order and the
// SHA-256 of the canonical body (body's fields as read, so spacing and
// field order do not count).
func fingerprint(orderID string, body any) string {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // plain strings: a bug
	}
	digest := sha256.Sum256(b)
	sum := sha256.Sum256(append([]byte(strconv.Itoa(len(orderID))+":"+orderID), digest[:]...))
	return hex.EncodeToString(sum[:])
}

// claimKey binds an action's Idempotency-Key (per adapter and kind, as
// its delivery id) to fp, or returns ErrKeyReused when it is bound to
// another fingerprint.
func (m *Merchant) claimKey(ctx context.Context, kind, adapterID, idemKey, fp string) error {
	first, err := orderstore.Claim(ctx, m.o.Redis, orderstore.ConsoleIdempotencyKey(adapterID, kind, idemKey), []byte(fp), keyTTL)
	if err != nil {
		return err
	}
	if string(first) != fp {
		return ErrKeyReused
	}
	return nil
}
