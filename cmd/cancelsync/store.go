package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
)

// runStore reports the store's format, or switches it to compact
// (docs/OPERATIONS.md, "Store format").
func runStore(ctx context.Context, cmd *command, cfg *config.Config, stdout io.Writer) error {
	if cfg.Embedded() {
		return errors.New("the embedded Redis lives inside the serve process and is always compact; set redis_url")
	}
	_, rdb, closeRedis, err := connect(cfg, slog.New(slog.DiscardHandler), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeRedis()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var f orderstore.StoreFormat
	if cmd.name == "store upgrade" {
		before, err := orderstore.ReadFormat(ctx, rdb)
		if err != nil {
			return err
		}
		if f, err = orderstore.SetFormat(ctx, rdb, order.FormatCompact); err != nil {
			return err
		}
		if before.Format == order.FormatCompact {
			fmt.Fprintf(stdout, "store format: compact since %s (already)\n", f.Since.UTC().Format(time.RFC3339))
			return nil
		}
		fmt.Fprintf(stdout, "store format: compact since %s (was json); every process writes compact documents within %s\n",
			f.Since.UTC().Format(time.RFC3339), orderstore.FormatRecheck)
		return nil
	}
	if f, err = orderstore.ReadFormat(ctx, rdb); err != nil {
		return err
	}
	if f.Format == order.FormatCompact {
		fmt.Fprintf(stdout, "store format: compact since %s\n", f.Since.UTC().Format(time.RFC3339))
		return nil
	}
	fmt.Fprintln(stdout, "store format: json (a previous release's processes can share this store; once none is left, run `cancelsync store upgrade`)")
	return nil
}

// logStoreFormat reads the store's format at start, making an empty store
// compact (orderstore.InitFormat), and says which it is. Redis down is
// not fatal here: the store reads its format again when it first writes.
func logStoreFormat(ctx context.Context, log *slog.Logger, rdb redis.UniversalClient) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	f, err := orderstore.InitFormat(ctx, rdb)
	switch {
	case err != nil:
		log.Warn("store format not read; it is read again before the first write", slog.Any("error", err))
	case f.Format == order.FormatCompact:
		log.Info("store format: compact", slog.Time("since", f.Since))
	default:
		log.Info("store format: json, as a previous release writes; once every process runs this release, `cancelsync store upgrade` makes documents about a quarter of the size, and saves 5 Redis commands and about 800 B of Redis per cancellation")
	}
}
