package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// runFill grows the store to -total orders without going through the
// service: it takes every key that mentions one order the service stored
// (-like, e.g. an order id of an earlier e2e run: its document and its
// delivery ids, the latter followed by "-"), and writes copies with DUMP /
// RESTORE (same encoding, same TTL) under new order ids. The copies are
// byte for byte what the service would have stored for such an order, so the
// scale runs see a realistic keyspace without spending an hour ingesting it.
func runFill(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fill", flag.ContinueOnError)
	redisURL := fs.String("redis-url", "redis://127.0.0.1:6379/0", "Redis to fill (loopback only)")
	like := fs.String("like", "", "order id whose keys are copied")
	total := fs.Int("total", 1000, "stop when this many order documents exist")
	prefix := fs.String("prefix", "F"+strconv.FormatInt(time.Now().UnixNano()%1e12, 36)+"-", "order id prefix of the copies")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *like == "" || strings.ContainsAny(*like, "*?[]\\") {
		return errors.New("-like must name an order id (no glob characters)")
	}
	if *total > 20_000_000 {
		return errors.New("-total is capped at 20,000,000")
	}
	opt, err := redis.ParseURL(*redisURL)
	if err != nil {
		return fmt.Errorf("-redis-url: %w", err)
	}
	if err := loopbackAddr(opt.Addr); err != nil {
		return fmt.Errorf("-redis-url %w", err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	start := time.Now()

	// The order's document ends the id with "}" (its hash tag); delivery ids
	// continue it with "-".
	keys, err := scanAll(ctx, rdb, "*"+*like+"[-}]*")
	if err != nil {
		return err
	}
	orderKey := ""
	for _, k := range keys {
		if strings.HasSuffix(k, *like+"}") && strings.Contains(k, ":order:") {
			orderKey = k
		}
	}
	if orderKey == "" {
		return fmt.Errorf("no order document found for %q among %q", *like, keys)
	}
	type template struct {
		key  string
		dump string
		ttl  time.Duration
	}
	var tpl []template
	for _, k := range keys {
		dump, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			return fmt.Errorf("dump %s: %w", k, err)
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			return err
		}
		if ttl < 0 {
			ttl = 0 // no expiry
		}
		tpl = append(tpl, template{key: k, dump: dump, ttl: ttl})
	}
	members, err := indexMembers(ctx, rdb, *like)
	if err != nil {
		return err
	}
	existing, err := scanAll(ctx, rdb, strings.Replace(orderKey, *like, "*", 1))
	if err != nil {
		return err
	}
	add := *total - len(existing)
	const batch = 500
	for i := 0; i < add; i += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+batch, add); j++ {
				id := *prefix + strconv.Itoa(j)
				for _, t := range tpl {
					p.RestoreReplace(ctx, strings.Replace(t.key, *like, id, 1), t.ttl, t.dump)
				}
				for _, m := range members {
					// Copies spread back in time, 2 s apart (10^6 span 23
					// days), as a real history of requests would.
					p.ZAdd(ctx, m.key, redis.Z{Score: m.score - float64(j+1)*2000, Member: strconv.Itoa(len(id)) + ":" + id + m.request})
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	fmt.Fprintf(stdout, "RESULT mode=fill like=%s keys_per_order=%d index_entries_per_order=%d added=%d total=%d secs=%.1f\n",
		*like, len(tpl), len(members), max(add, 0), max(*total, len(existing)), time.Since(start).Seconds())
	return nil
}

// indexMember is one entry of the console's indexes (jobs/index.go) for
// the template order: the set, its score and the request id.
type indexMember struct {
	key     string
	score   float64
	request string
}

// indexMembers finds the template order's entries in the console's
// per-adapter sorted sets (members are the order id length-prefixed, then
// the request id). Per-buyer sets and the repeat-canceller set are left
// out: copies of one buyer would make every copy a repeat canceller.
func indexMembers(ctx context.Context, rdb *redis.Client, like string) ([]indexMember, error) {
	keys, err := scanAll(ctx, rdb, "cancelsync:ix:*")
	if err != nil {
		return nil, err
	}
	prefix := strconv.Itoa(len(like)) + ":" + like
	var out []indexMember
	for _, k := range keys {
		if strings.Contains(k, "}:buyer:") || strings.HasSuffix(k, "}:repeat") {
			continue
		}
		if t, err := rdb.Type(ctx, k).Result(); err != nil || t != "zset" {
			continue
		}
		iter := rdb.ZScan(ctx, k, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			m := iter.Val()
			if !iter.Next(ctx) {
				break
			}
			score, _ := strconv.ParseFloat(iter.Val(), 64)
			out = append(out, indexMember{key: k, score: score, request: strings.TrimPrefix(m, prefix)})
		}
		if err := iter.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanAll(ctx context.Context, rdb *redis.Client, match string) ([]string, error) {
	var out []string
	iter := rdb.Scan(ctx, 0, match, 5000).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
}
