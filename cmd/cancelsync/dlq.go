package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/live"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
)

// runDLQ lists or replays the dead letter.
func runDLQ(ctx context.Context, cmd *command, cfg *config.Config, platforms platform.Registry, stdout io.Writer) error {
	if cfg.Embedded() {
		return errors.New("the dead letter lives in Redis: with the embedded Redis it is inside the serve process; set redis_url")
	}
	first, err := live.Build(cfg, platforms)
	if err != nil {
		return err
	}
	_, rdb, closeRedis, err := connect(cfg, slog.New(slog.DiscardHandler), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeRedis()
	queue := newQueue(rdb, cfg, live.New(first, live.Options{}))
	dlq := syncback.NewDeadLetters(queue, orderstore.NewStore(rdb))
	if cmd.name == "dlq replay" {
		replayed, err := dlq.Replay(ctx, cmd.args)
		for _, l := range replayed {
			fmt.Fprintf(stdout, "replayed %s\n", l.ID)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d replayed\n", len(replayed))
		return nil
	}
	letters, err := dlq.List(ctx)
	if err != nil {
		return err
	}
	if cmd.json {
		enc := json.NewEncoder(stdout)
		for _, l := range letters {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	// Plain tabs, not aligned columns, so that cut and awk read it.
	w := bufio.NewWriter(stdout)
	fmt.Fprintln(w, "ID\tADAPTER\tORDER_ID\tREQUEST_ID\tVERSION\tATTEMPTS\tFAILED_AT\tLAST_ERROR")
	for _, l := range letters {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.ID, l.Adapter, l.OrderID, l.RequestID, l.Version, l.Attempts,
			l.FailedAt.Format(time.RFC3339), oneLine.Replace(l.LastError))
	}
	return w.Flush()
}

// oneLine keeps an error on its own line and column.
var oneLine = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
