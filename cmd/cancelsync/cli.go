package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/internal/groupwrite"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// Exit codes (docs/API.md §1).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usage = `usage: cancelsync <command> [flags]

There is no default command: "cancelsync serve" runs the service.

commands:
  serve                 HTTP ingest and job workers in one process
  api                   HTTP ingest only
  worker                job workers only
  config check [--env-from PID]
                        load and validate the config; --env-from expands
                        ${VAR} from that running process's environment, as
                        its reload on SIGHUP will
  dlq list [--json]     show sync jobs that exhausted their retries
  dlq replay [--all | ID...]
                        re-run dead-lettered sync jobs
  store status          the store's format: json (what a previous release
                        reads) or compact
  store upgrade         switch the store to compact once every process
                        runs this release (docs/OPERATIONS.md, "Store
                        format"); there is no way back
  connect ADAPTER       make the platform (shopify, woocommerce) send its
                        order webhooks to {public_url}/webhooks/ADAPTER/orders:
                        creates what is missing, re-activates what is
                        disabled, prints one line per topic
  version               print the version
  help, --help, -h      print this help

flags (every command; before or after the arguments):
  --config PATH         config file (default $CANCELSYNC_CONFIG, else cancelsync.yaml)
  --log-format json|text
  --log-level debug|info|warn|error
  --pprof ADDR          serve, api, worker: net/http/pprof on a loopback
                        address such as 127.0.0.1:6060 (off by default)
`

// errUsage marks a bad command line: exit 2.
var errUsage = errors.New("usage")

// command is one parsed command line.
type command struct {
	name      string // "serve", "config check", "dlq replay", ...
	args      []string
	config    string
	logFormat string
	logLevel  string
	json      bool
	all       bool
	pprof     string // serve, api, worker: loopback address for net/http/pprof, off when empty
	envFrom   string // config check: the pid whose environment ${VAR} expands from
}

func parse(args []string, getenv func(string) string) (*command, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%w: no command", errUsage)
	}
	if wantsHelp(args) {
		return &command{name: "help"}, nil
	}
	cmd := &command{name: args[0]}
	rest := args[1:]
	switch cmd.name {
	case "config", "dlq", "store":
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: %s needs a subcommand", errUsage, cmd.name)
		}
		cmd.name += " " + rest[0]
		rest = rest[1:]
	}
	switch cmd.name {
	case "serve", "api", "worker", "config check", "dlq list", "dlq replay", "store status", "store upgrade", "connect", "version":
	default:
		return nil, fmt.Errorf("%w: unknown command %q", errUsage, cmd.name)
	}
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cmd.config, "config", "", "config file")
	fs.StringVar(&cmd.logFormat, "log-format", "", "json or text")
	fs.StringVar(&cmd.logLevel, "log-level", "", "debug, info, warn or error")
	if cmd.name == "dlq list" {
		fs.BoolVar(&cmd.json, "json", false, "one JSON object per line")
	}
	if cmd.name == "dlq replay" {
		fs.BoolVar(&cmd.all, "all", false, "replay every entry")
	}
	if cmd.name == "config check" {
		fs.StringVar(&cmd.envFrom, "env-from", "", "expand ${VAR} from this process's environment")
	}
	switch cmd.name {
	case "serve", "api", "worker":
		fs.StringVar(&cmd.pprof, "pprof", "", "serve net/http/pprof on this loopback address (off by default)")
	}
	// Flags may come anywhere: before, between or after the arguments
	// (dlq replay ID --config x.yaml); "--" ends them.
	for {
		if err := fs.Parse(rest); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			cmd.args = append(cmd.args, rest...)
			break
		}
		cmd.args = append(cmd.args, rest[0])
		rest = rest[1:]
	}
	switch {
	case cmd.name == "dlq replay" && cmd.all == (len(cmd.args) > 0):
		return nil, fmt.Errorf("%w: dlq replay takes --all or IDs", errUsage)
	case cmd.name == "connect" && len(cmd.args) != 1:
		return nil, fmt.Errorf("%w: connect takes one adapter id", errUsage)
	case cmd.name != "dlq replay" && cmd.name != "connect" && len(cmd.args) > 0:
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, cmd.args[0])
	}
	if cmd.logFormat != "" && cmd.logFormat != "json" && cmd.logFormat != "text" {
		return nil, fmt.Errorf("%w: --log-format must be json or text", errUsage)
	}
	if cmd.logLevel != "" {
		var l slog.Level
		if l.UnmarshalText([]byte(cmd.logLevel)) != nil {
			return nil, fmt.Errorf("%w: --log-level must be debug, info, warn or error", errUsage)
		}
	}
	if cmd.pprof != "" {
		if err := checkPprofAddr(cmd.pprof); err != nil {
			return nil, fmt.Errorf("%w: --pprof: %v", errUsage, err)
		}
	}
	if cmd.config == "" {
		cmd.config = getenv("CANCELSYNC_CONFIG")
	}
	if cmd.config == "" {
		cmd.config = "cancelsync.yaml"
	}
	return cmd, nil
}

// wantsHelp reports whether the command is help, or -h, -help or --help
// appears anywhere before a "--".
func wantsHelp(args []string) bool {
	if args[0] == "help" {
		return true
	}
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, err := parse(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "cancelsync: %v\n\n%s", err, usage)
		return exitUsage
	}
	switch cmd.name {
	case "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "version":
		fmt.Fprintf(stdout, "cancelsync %s\n", buildVersion())
		return exitOK
	}
	platforms := registry.Default()
	cfg, err := loadConfig(cmd, platforms)
	if err != nil {
		if cmd.name == "config check" {
			fmt.Fprintf(stderr, "%s: %d problem(s):\n", cmd.config, problemCount(err))
			fmt.Fprintln(stderr, indent(err.Error()))
		} else {
			fmt.Fprintf(stderr, "cancelsync: config %s:\n%s\n", cmd.config, indent(err.Error()))
		}
		return exitError
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "cancelsync: config %s: warning: %s\n", cmd.config, w)
	}
	if cmd.logFormat != "" {
		cfg.LogFormat = cmd.logFormat
	}
	if cmd.logLevel != "" {
		cfg.LogLevel = cmd.logLevel
	}
	log := newLogger(cfg, stderr)
	switch cmd.name {
	case "config check":
		if err := checkRedis(ctx, cfg, stderr, cmd.config); err != nil {
			fmt.Fprintf(stderr, "%s: 1 problem(s):\n%s\n", cmd.config, indent(err.Error()))
			return exitError
		}
		fmt.Fprintf(stdout, "%s: ok (%d adapter(s))\n", cmd.config, len(cfg.Adapters))
		return exitOK
	case "dlq list", "dlq replay":
		err = runDLQ(ctx, cmd, cfg, platforms, stdout)
	case "store status", "store upgrade":
		err = runStore(ctx, cmd, cfg, stdout)
	case "connect":
		err = runConnect(ctx, cmd, cfg, platforms, stdout)
	default:
		// A long-running service logs from many goroutines: its lines are
		// written in batches under load (internal/groupwrite). Whatever
		// else goes to stderr from here on joins the same queue, so it
		// keeps its place after them, and all of it is written before run
		// returns.
		lines := groupwrite.New(stderr, 0)
		defer lines.Close()
		stderr = lines
		log = newLogger(cfg, lines)
		if cmd.pprof != "" {
			stop, perr := startPprof(cmd.pprof, log)
			if perr != nil {
				fmt.Fprintf(stderr, "cancelsync: %v\n", perr)
				return exitError
			}
			defer stop()
		}
		// A reload reads the same file the same way, command-line flags
		// still winning over the file.
		load := func() (*config.Config, error) {
			next, err := config.Load(cmd.config, platforms)
			if err != nil {
				return nil, err
			}
			if cmd.logFormat != "" {
				next.LogFormat = cmd.logFormat
			}
			if cmd.logLevel != "" {
				next.LogLevel = cmd.logLevel
			}
			return next, nil
		}
		err = runService(ctx, cmd.name, cfg, load, platforms, log, stdout)
	}
	if err != nil {
		log.Error("cancelsync: "+cmd.name+" failed", slog.String("error", err.Error()))
		fmt.Fprintf(stderr, "cancelsync: %v\n", err)
		return exitError
	}
	return exitOK
}

// loadConfig loads the command's config file, expanding ${VAR} from this
// process's environment, or from --env-from's process.
func loadConfig(cmd *command, platforms platform.Registry) (*config.Config, error) {
	if cmd.envFrom == "" {
		return config.Load(cmd.config, platforms)
	}
	getenv, err := environOf(cmd.envFrom)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(cmd.config)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return config.Parse(data, platforms, getenv)
}

func problemCount(err error) int {
	var ce *config.Error
	if errors.As(err, &ce) {
		return len(ce.Problems)
	}
	return 1
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newLogger builds the process's logger from the config: JSON by default.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
