package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/live"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// connectTimeout bounds one connect run: a few calls to the platform,
// each within the adapter's api.timeout, and waits for its rate limits.
const connectTimeout = 2 * time.Minute

// runConnect makes sure the adapter's platform sends its order webhooks to
// public_url (docs/API.md §13) and prints one line per topic.
func runConnect(ctx context.Context, cmd *command, cfg *config.Config, platforms platform.Registry, stdout io.Writer) error {
	id := cmd.args[0]
	first, err := live.Build(cfg, platforms)
	if err != nil {
		return err
	}
	ad, ok := first.Adapter(id)
	if !ok {
		return fmt.Errorf("no adapter %q in the config", id)
	}
	if cfg.PublicURL == "" {
		return errors.New("public_url: is required by connect: the base URL at which the platform reaches this service")
	}
	// The states are recorded for the console when Redis is at hand; the
	// platform is what matters, so a Redis that cannot be reached is no
	// failure here.
	var store *orderstore.Store
	if !cfg.Embedded() {
		if _, rdb, closeRedis, err := connect(cfg, slog.New(slog.DiscardHandler), slog.New(slog.DiscardHandler)); err == nil {
			defer closeRedis()
			store = orderstore.NewStore(rdb)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	subs, err := jobs.Connect(ctx, store, ad, cfg.PublicURL, time.Now())
	if err != nil {
		return fmt.Errorf("connect %s: %w", id, err)
	}
	for _, s := range subs {
		fmt.Fprintf(stdout, "%s: %s\n", s.Topic, s.Result)
	}
	if jobs.Failed(subs) {
		return fmt.Errorf("connect %s: some subscriptions failed", id)
	}
	return nil
}
