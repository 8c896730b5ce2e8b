package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/httpapi"
	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/tasks"
)

// durabilityTimeout bounds the look at Redis' settings at start and in
// config check: a Redis that does not answer is reported elsewhere (/readyz,
// the first 503), not waited for.
const durabilityTimeout = 2 * time.Second

// readiness is what /readyz asks: the queue's Redis answers, and the
// settings the guarantees rest on (appendonly, noeviction) are reported as
// warnings, read again on every probe so a Sentinel failover to a master
// set otherwise shows.
type readiness struct {
	*tasks.Queue
	rdb redis.UniversalClient
}

var _ httpapi.Warner = readiness{}

// Warnings implements httpapi.Warner. A Redis that stopped answering
// between the ping and this says nothing here: the next probe's ping fails.
func (r readiness) Warnings(ctx context.Context) []string {
	w, err := redisconn.Durability(ctx, r.rdb)
	if err != nil {
		return nil
	}
	return w
}

// warnDurability logs each Redis setting to fix once at start. It runs
// beside the start, never delaying it; an unreachable Redis logs nothing
// here.
func warnDurability(log *slog.Logger, rdb redis.UniversalClient) {
	ctx, cancel := context.WithTimeout(context.Background(), durabilityTimeout)
	defer cancel()
	w, err := redisconn.Durability(ctx, rdb)
	if err != nil {
		return
	}
	for _, msg := range w {
		log.Warn(msg)
	}
}

// checkRedis is config check's look at the configured Redis. A redis_url
// that go-redis refuses (an unknown option, a bad value) is a problem, as
// the process would refuse it at start; otherwise its settings to fix are
// warnings when it answers from here, and a note when it does not. Neither
// of those changes the exit code: the file is what config check judges.
func checkRedis(ctx context.Context, cfg *config.Config, stderr io.Writer, name string) error {
	if cfg.Embedded() {
		return nil
	}
	opt, err := redisconn.Parse(cfg.RedisURL, cfg.RedisSentinelPassword)
	if err != nil {
		return err // names redis_url, never quotes it
	}
	rdb := opt.Client()
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(ctx, durabilityTimeout)
	defer cancel()
	w, err := redisconn.Durability(ctx, rdb)
	if err != nil {
		fmt.Fprintf(stderr, "cancelsync: config %s: note: redis %s does not answer from here: its appendonly and maxmemory-policy were not checked\n",
			name, config.RedactURL(cfg.RedisURL))
		return nil
	}
	for _, msg := range w {
		fmt.Fprintf(stderr, "cancelsync: config %s: warning: %s\n", name, msg)
	}
	return nil
}
