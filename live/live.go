// Package live holds the configuration a running process serves with and
// replaces it on reload (SIGHUP, README.md "Live configuration").
//
// A Snapshot is one config with every adapter built; it never changes once
// made. A Set holds the current Snapshot behind an atomic pointer. Code that
// needs the adapters asks the Set per request or per task (Set.Adapter, the
// lookup shape func(id string) (*platform.Adapter, bool)) and keeps what it
// got until it is done, so a request in flight finishes with the adapter it
// started with and the next one sees the new set.
//
// Reload builds the new Snapshot whole — the file parsed and validated, every
// adapter built — before it swaps; any problem refuses the file whole and
// the running Snapshot stays. The adapters list and public_url apply live
// (public_url is read from the current Snapshot on each use: the console's
// Connect, each reconciliation poll); every other top-level setting (listen,
// redis_url, worker_concurrency, ...) is read once at start, and a change to
// one is logged as needing a restart (docs/OPERATIONS.md, "Reloading the
// config").
package live

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
)

// Snapshot is one configuration with its adapters built. It is immutable.
type Snapshot struct {
	cfg      *config.Config
	adapters map[string]*platform.Adapter
	retries  map[string]syncback.Retry
	timeouts map[string]time.Duration
	settings map[string]config.Adapter // as written, to tell what a reload changed
}

// Build configures every adapter of cfg, a config that config.Parse
// accepted. An adapter its platform cannot build is an error naming its key.
func Build(cfg *config.Config, platforms platform.Registry) (*Snapshot, error) {
	s := &Snapshot{
		cfg:      cfg,
		adapters: make(map[string]*platform.Adapter, len(cfg.Adapters)),
		retries:  make(map[string]syncback.Retry, len(cfg.Adapters)),
		timeouts: make(map[string]time.Duration, len(cfg.Adapters)),
		settings: make(map[string]config.Adapter, len(cfg.Adapters)),
	}
	var ps []config.Problem
	for i, a := range cfg.Adapters {
		key := fmt.Sprintf("adapters[%d]", i)
		p, ok := platforms[a.Platform]
		if !ok {
			ps = append(ps, config.Problem{Key: key + ".platform", Message: fmt.Sprintf("unknown platform %q", a.Platform)})
			continue
		}
		ad, err := p.New(a.Settings())
		if err != nil {
			ps = append(ps, config.Problem{Key: key, Message: err.Error()})
			continue
		}
		s.adapters[a.ID] = ad
		s.retries[a.ID] = syncback.Retry{MaxAttempts: a.Retry.MaxAttempts, BaseDelay: a.Retry.BaseDelay.D(), MaxDelay: a.Retry.MaxDelay.D()}
		s.timeouts[a.ID] = a.API.Timeout.D()
		s.settings[a.ID] = a
	}
	if len(ps) > 0 {
		return nil, &config.Error{Problems: ps}
	}
	return s, nil
}

// Config is the config the snapshot was built from. Its top-level settings
// are the file's, which a running process applies only at start.
func (s *Snapshot) Config() *config.Config { return s.cfg }

// Adapter is the configured adapter with this id.
func (s *Snapshot) Adapter(id string) (*platform.Adapter, bool) {
	ad, ok := s.adapters[id]
	return ad, ok
}

// Retry is the adapter's sync-back retry policy.
func (s *Snapshot) Retry(id string) (syncback.Retry, bool) {
	r, ok := s.retries[id]
	return r, ok
}

// Adapters is a copy of the configured adapters by id.
func (s *Snapshot) Adapters() map[string]*platform.Adapter { return maps.Clone(s.adapters) }

// IDs lists the configured adapter ids, sorted.
func (s *Snapshot) IDs() []string {
	ids := make([]string, 0, len(s.adapters))
	for id := range s.adapters {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Fallbacks for an adapter that is no longer configured, whose tasks are
// still queued: the config's defaults (docs/API.md §2).
const (
	fallbackAttempts = config.DefaultMaxAttempts
	fallbackTimeout  = time.Duration(config.DefaultAPITimeout)
)

// Options configure a Set.
type Options struct {
	// Load reads and validates the config file again (config.Load on the
	// same path, same ${VAR} expansion).
	Load func() (*config.Config, error)
	// Platforms builds the platform.
	Platforms platform.Registry
	// Logger gets one line per reload and one per problem; nil discards.
	Logger *slog.Logger
	// Registerer gets cancelsync_config_reloads_total; nil registers nothing.
	Registerer prometheus.Registerer
	// OnReload, when set, is told what each accepted reload changed, after
	// the new snapshot serves (to create the new adapters' metric series).
	OnReload func(Change)
}

// Set is the process's live adapter set. Its lookups are safe for
// concurrent use and never block on a reload.
type Set struct {
	cur       atomic.Pointer[Snapshot]
	started   *config.Config // the top-level settings in effect, as at start
	load      func() (*config.Config, error)
	platforms platform.Registry
	log       *slog.Logger
	reloads   *prometheus.CounterVec
	onReload  func(Change)
	mu        sync.Mutex // one reload at a time
}

// New returns a Set serving first. first's top-level settings are the ones
// the process runs with until it restarts.
func New(first *Snapshot, o Options) *Set {
	s := &Set{started: first.cfg, load: o.Load, platforms: o.Platforms, log: o.Logger, onReload: o.OnReload}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cancelsync_config_reloads_total",
		Help: "Config reloads (SIGHUP) by result: ok (the new adapters serve), rejected (a problem; the running config stays).",
	}, []string{"result"})
	for _, r := range []string{ResultOK, ResultRejected} {
		s.reloads.WithLabelValues(r)
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.reloads)
	}
	s.cur.Store(first)
	return s
}

// Reload results, the result label of cancelsync_config_reloads_total.
const (
	ResultOK       = "ok"
	ResultRejected = "rejected"
)

// Current is the snapshot serving now.
func (s *Set) Current() *Snapshot { return s.cur.Load() }

// Adapter is the lookup the edges and workers call per request or task.
func (s *Set) Adapter(id string) (*platform.Adapter, bool) { return s.cur.Load().Adapter(id) }

// Retry is the adapter's current sync-back retry policy.
func (s *Set) Retry(id string) (syncback.Retry, bool) { return s.cur.Load().Retry(id) }

// SyncAttempts is the adapter's current retry.max_attempts (tasks.Queue).
func (s *Set) SyncAttempts(id string) int {
	if r, ok := s.Retry(id); ok {
		return r.MaxAttempts
	}
	return fallbackAttempts
}

// SyncTimeout is the adapter's current api.timeout (tasks.Queue).
func (s *Set) SyncTimeout(id string) time.Duration {
	if d, ok := s.cur.Load().timeouts[id]; ok {
		return d
	}
	return fallbackTimeout
}

// Change is what a reload did.
type Change struct {
	Added, Removed, Changed []string // adapter ids, sorted
	// Restart lists the top-level keys whose new value was ignored: they
	// take effect at the next start.
	Restart []string
}

// Reload reads the config again and, if it is sound and every adapter
// builds, makes it the current one. On any problem it returns the error
// (a *config.Error names each key) and the running config stays.
func (s *Set) Reload() (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, err := s.build()
	if err != nil {
		s.reloads.WithLabelValues(ResultRejected).Inc()
		s.logRejected(err)
		return Change{}, err
	}
	prev := s.cur.Load()
	ch := diff(prev, next)
	ch.Restart = restartKeys(s.started, next.cfg)
	s.cur.Store(next)
	s.reloads.WithLabelValues(ResultOK).Inc()
	for _, k := range ch.Restart {
		s.log.Warn("config reload: setting needs a restart; the running value stays", slog.String("key", k))
	}
	s.log.Info("config reloaded", slog.Any("adapters", next.IDs()), slog.Any("added", ch.Added),
		slog.Any("removed", ch.Removed), slog.Any("changed", ch.Changed))
	if s.onReload != nil {
		s.onReload(ch)
	}
	return ch, nil
}

func (s *Set) build() (*Snapshot, error) {
	if s.load == nil {
		return nil, errors.New("this set has no config file to read again")
	}
	cfg, err := s.load()
	if err != nil {
		return nil, err
	}
	return Build(cfg, s.platforms)
}

// logRejected logs a refused reload, one line per problem with its key.
// Config errors never quote a secret (package config).
func (s *Set) logRejected(err error) {
	var ce *config.Error
	if !errors.As(err, &ce) {
		s.log.Error("config reload refused; the running config stays", slog.String("error", err.Error()))
		return
	}
	for _, p := range ce.Problems {
		s.log.Error("config reload refused; the running config stays", slog.String("key", p.Key), slog.String("problem", p.Message))
	}
}

// diff names the adapters next adds, removes and changes against prev.
func diff(prev, next *Snapshot) Change {
	var ch Change
	for id, a := range next.settings {
		old, ok := prev.settings[id]
		switch {
		case !ok:
			ch.Added = append(ch.Added, id)
		case !old.Equal(a):
			ch.Changed = append(ch.Changed, id)
		}
	}
	for id := range prev.settings {
		if _, ok := next.settings[id]; !ok {
			ch.Removed = append(ch.Removed, id)
		}
	}
	slices.Sort(ch.Added)
	slices.Sort(ch.Removed)
	slices.Sort(ch.Changed)
	return ch
}

// liveKeys are the top-level keys a reload applies: their users read them
// from Set.Current on each use, so a change needs no restart.
var liveKeys = map[string]bool{"adapters": true, "public_url": true}

// restartKeys lists the top-level keys (all but liveKeys) whose value in
// next differs from the one the process started with. Only keys are named:
// values may be secret (admin_token, a password in redis_url).
func restartKeys(started, next *config.Config) []string {
	var keys []string
	a, b := reflect.ValueOf(started).Elem(), reflect.ValueOf(next).Elem()
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || liveKeys[key] {
			continue
		}
		if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			keys = append(keys, key)
		}
	}
	return keys
}
