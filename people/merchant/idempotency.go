package merchant

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/cancelsync/cancelsync/orderstore"
)

// An Idempotency-Key on a console action stands for its first request
// (docs/API.md, "The JSON twins"): the key keeps that request's
// fingerprint for keyTTL, and the same key with another order or body is
// refused, not answered "duplicate" for a request that order never got.

// keyTTL is how long a key's fingerprint is kept, as the storefront's.
const keyTTL = orderstore.IdempotencyTTL

// ErrKeyReused is an Idempotency-Key repeated with another order or body.
var ErrKeyReused = errors.New("idempotency key first used with another order or body")

// fingerprint is orderstore.Fingerprint in hex, as the key keeps it.
func fingerprint(orderID string, body any) string {
	sum := orderstore.Fingerprint(orderID, body)
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
