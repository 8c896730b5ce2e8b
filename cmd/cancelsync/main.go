// Command cancelsync takes platforms' order and cancellation webhooks,
// decides each cancellation by the platform's rules and syncs the outcome
// back. See README.md; the wiring lives beside this file, the logic in the
// config, webhooks, jobs and adapters packages.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
