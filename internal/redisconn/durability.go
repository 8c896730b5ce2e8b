package redisconn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
//
// On a cluster every node is asked, masters and replicas alike (a replica
// is the master of tomorrow's failover); a sentence then names the nodes
// it is true of.
func Durability(ctx context.Context, rdb redis.UniversalClient) (warnings []string, err error) {
	c, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return durabilityOf(ctx, rdb)
	}
	var mu sync.Mutex
	var order []string
	nodes := map[string][]string{} // warning -> the nodes it holds on
	err = c.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error {
		w, err := durabilityOf(ctx, node)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, msg := range w {
			if nodes[msg] == nil {
				order = append(order, msg)
			}
			nodes[msg] = append(nodes[msg], node.Options().Addr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, msg := range order {
		slices.Sort(nodes[msg])
		warnings = append(warnings, "on node(s) "+strings.Join(nodes[msg], ", ")+": "+msg)
	}
	return warnings, nil
}

// durabilityOf checks one Redis server (or Sentinel's master).
func durabilityOf(ctx context.Context, rdb redis.Cmdable) (warnings []string, err error) {
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
