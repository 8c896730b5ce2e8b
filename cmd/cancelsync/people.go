package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/live"
	"github.com/cancelsync/cancelsync/people/console"
)

// newConsole builds the merchant console (people/console) on the service's
// store and queue. Adapters are looked up per request, so a reload that
// swaps them (SIGHUP) needs no new console.
func newConsole(cfg *config.Config, set *live.Set, rdb redis.UniversalClient, store *jobs.Store, queue *jobs.Queue, log *slog.Logger) *console.Console {
	return console.New(console.Options{
		Redis: rdb, Store: store, Indexes: jobs.NewConsole(store), DeadLetters: jobs.NewDeadLetters(queue, store), Enqueuer: queue,
		Adapter:    set.Adapter,
		AdapterIDs: func() []string { return set.Current().IDs() },
		AdminToken: func() string { return cfg.AdminToken },
		Logger:     log,
	})
}
