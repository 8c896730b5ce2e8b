package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
)

// An Idempotency-Key on a console action stands for its first request
// (docs/API.md, "The JSON twins"): the key keeps that request's
// fingerprint for keyTTL, and the same key with another order or body is
// refused, not answered "duplicate" for a request that order never got.

// keyTTL is how long a key's fingerprint is kept, as the storefront's.
const keyTTL = 24 * time.Hour

// errKeyReused is an Idempotency-Key repeated with another order or body.
var errKeyReused = errors.New("idempotency key first used with another order or body")

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

// keyScript stores ARGV[1] at KEYS[1] for ARGV[2] ms unless a value is
// there, and returns what is there: of two racing requests with one key,
// exactly one stores its fingerprint and both compare with it.
var keyScript = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur then return cur end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return ARGV[1]
`)

// claimKey binds an action's Idempotency-Key (per adapter and kind, as
// its delivery id) to fp, or returns errKeyReused when it is bound to
// another fingerprint.
func (c *Console) claimKey(ctx context.Context, kind, adapterID, idemKey, fp string) error {
	key := "cancelsync:console:" + orderstore.TaskID("idem", adapterID, kind, idemKey)
	first, err := keyScript.Run(ctx, c.o.Redis, []string{key}, fp, keyTTL.Milliseconds()).Text()
	if err != nil {
		return err
	}
	if first != fp {
		return errKeyReused
	}
	return nil
}
