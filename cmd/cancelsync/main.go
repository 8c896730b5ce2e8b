// Command cancelsync takes platforms' order and cancellation webhooks,
// decides each cancellation by the platform's rules and syncs the outcome
// back. See README.md; the wiring lives beside this file, the logic in the
// packages of docs/ARCHITECTURE.md's code map.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// gcPercent is the garbage collector's target when GOGC is not set: the
// service's live heap is small (tens of MB) and nearly all it allocates
// lives for one request or task, so collecting half as often costs little
// memory and buys CPU per cancellation (measured with cmd/cancelsync-load).
const gcPercent = 200

// tuneGC applies gcPercent unless the operator set GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}
