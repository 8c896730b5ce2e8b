package main

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/live"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/people/console"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// newConsole builds the merchant console (people/console) on the service's
// store and queue. Adapters are looked up per request, so a reload that
// swaps them (SIGHUP) needs no new console.
func newConsole(cfg *config.Config, set *live.Set, rdb redis.UniversalClient, store *orderstore.Store, queue *tasks.Queue, log *slog.Logger) *console.Console {
	return console.New(console.Options{
		Options: merchant.Options{
			Redis: rdb, Store: store, Indexes: orderstore.NewConsole(store), DeadLetters: syncback.NewDeadLetters(queue, store), Enqueuer: queue,
			Adapter:   set.Adapter,
			PublicURL: func() string { return set.Current().Config().PublicURL },
		},
		AdapterIDs: func() []string { return set.Current().IDs() },
		AdminToken: func() string { return cfg.AdminToken },
		Logger:     log,
	})
}
