// Command cancelsync-load measures cancelsync on one machine. It only ever talks to loopback addresses, and every mode
// is bounded by a duration, a count or a timeout, so it stops by itself.
//
//	cancelsync-load ingest   signed order snapshots at N keep-alive connections:
//	                         requests/s, p50/p99/max latency, status counts
//	cancelsync-load e2e      N snapshot + cancellation pairs for a selfservice
//	                         adapter, with a sink receiving the sync PUTs:
//	                         cancellations/s and request-to-PUT latency
//	cancelsync-load storefront the buyers' GET .../cancellation on stored orders
//	                         at -rate requests/s: p50/p99/max latency
//	cancelsync-load baseline a reference server to compare ingest with:
//	                         --kind bare (Gin, read body, 202) or redis
//	                         (Gin + HMAC-SHA256 check + one LPUSH of the body)
//	cancelsync-load fill     copy one stored order's keys until Redis holds
//	                         a given number of orders (for the scale runs)
//	cancelsync-load freeport print free loopback ports, for scripts/bench
//
// Results go to stdout as one "RESULT key=value ..." line per run, for
// scripts/bench; a human-readable summary goes to stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const usage = `usage: cancelsync-load <ingest|e2e|storefront|baseline|fill|freeport> [flags]   (-h for a mode's flags)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cancelsync-load:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "ingest":
		return runIngest(ctx, args[1:], os.Stdout, os.Stderr)
	case "e2e":
		return runE2E(ctx, args[1:], os.Stdout, os.Stderr)
	case "storefront":
		return runStorefront(ctx, args[1:], os.Stdout, os.Stderr)
	case "baseline":
		return runBaseline(ctx, args[1:], os.Stderr)
	case "fill":
		return runFill(ctx, args[1:], os.Stdout)
	case "freeport":
		return runFreeport(args[1:], os.Stdout)
	}
	return errUsage
}

// runFreeport prints n (default 1) loopback ports that were free a moment
// ago, one a line, all different.
func runFreeport(args []string, stdout *os.File) error {
	n := 1
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 16 {
			return errUsage
		}
		n = v
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		fmt.Fprintln(stdout, ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// cpuSeconds is the CPU time this process has used so far (user + system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	return (tv(ru.Utime) + tv(ru.Stime)).Seconds()
}
