package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Durability checks the two Redis settings cancelsync's guarantees rest on
// (docs/GUARANTEES.md, docs/OPERATIONS.md "Redis"): appendonly, without
// which a Redis restart loses webhooks already answered 202, and
// maxmemory-policy noeviction, without which a full Redis drops queued tasks,
// order documents and dedup keys instead of refusing writes. It returns
// one sentence per setting to fix, none when both are right. A Redis that
// refuses CONFIG GET (managed services disable or rename it) gives one
// sentence saying the settings could not be checked, not an error: the
// service works the same. err is only for a Redis that did not answer.
func Durability(ctx context.Context, rdb redis.UniversalClient) (warnings []string, err error) {
	var aof, policy *redis.MapStringStringCmd
	// Two commands, not one CONFIG GET with two names: Redis before 7
	// takes one name per call.
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		aof = p.ConfigGet(ctx, "appendonly")
		policy = p.ConfigGet(ctx, "maxmemory-policy")
		return nil
	})
	for _, cmd := range []*redis.MapStringStringCmd{aof, policy} {
		if err := cmd.Err(); err != nil {
			if isReply(err) {
				return []string{notChecked}, nil
			}
			return nil, fmt.Errorf("redis CONFIG GET: %w", err)
		}
	}
	if v, ok := aof.Val()["appendonly"]; !ok {
		return []string{notChecked}, nil
	} else if !strings.EqualFold(v, "yes") {
		warnings = append(warnings, "redis appendonly is "+v+": a Redis restart loses what it held since its last snapshot, webhooks already answered 202 included; set appendonly yes (docs/OPERATIONS.md, Redis)")
	}
	if v, ok := policy.Val()["maxmemory-policy"]; !ok {
		return []string{notChecked}, nil
	} else if v != "noeviction" {
		warnings = append(warnings, "redis maxmemory-policy is "+v+": a full Redis evicts queued tasks, order state and dedup keys instead of refusing writes; set maxmemory-policy noeviction (docs/OPERATIONS.md, Redis)")
	}
	return warnings, nil
}

// notChecked is what Durability says when Redis will not tell.
const notChecked = "redis appendonly and maxmemory-policy could not be checked (CONFIG GET is refused or renamed, as on many managed Redis services): make sure the service keeps an append-only file and never evicts (noeviction)"

// isReply reports whether err is Redis' answer (ERR unknown command,
// NOPERM) rather than a failure to reach it: go-redis marks the replies.
func isReply(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, redis.Nil)
}
