package orderstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// claimScript stores ARGV[1] at KEYS[1] for ARGV[2] ms unless a value is
// there, and returns what is there: of two racing requests with one key,
// exactly one stores its value and both get it back.
var claimScript = redis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if cur then return cur end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return ARGV[1]
`)

// IdempotencyTTL is how long an Idempotency-Key's first answer (the
// storefront's) or fingerprint (the console's) is kept.
const IdempotencyTTL = 24 * time.Hour

// Claim binds key to value for ttl unless it is bound already, and returns
// what key is bound to: value when this call came first. It is how an
// Idempotency-Key remembers the first request it stood for (the
// storefront's and the console's; keys from StorefrontIdempotencyKey and
// ConsoleIdempotencyKey).
func Claim(ctx context.Context, rdb redis.UniversalClient, key string, value []byte, ttl time.Duration) ([]byte, error) {
	got, err := claimScript.Run(ctx, rdb, []string{key}, value, max(ttl.Milliseconds(), 1)).Text()
	if err != nil {
		return nil, err
	}
	return []byte(got), nil
}
