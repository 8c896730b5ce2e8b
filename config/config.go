// Package config loads, expands, defaults and validates cancelsync's YAML
// configuration. It knows nothing about HTTP or Redis; each platform of the
// registry it is given parses and checks its own block: the keys of an
// adapter that not every platform has, its secret format and its options.
//
// Parse (and Load, which reads a file) is the only way a file becomes a
// Config: it expands ${VAR} references, rejects unknown keys, applies the
// defaults and validates, reporting every problem at once as an *Error whose
// lines each name the offending key. Secret values never appear in those
// errors; log a Config through its LogValue method or Redacted.
package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cancelsync/cancelsync/platform"
)

// Config is the whole file (docs/API.md §2).
type Config struct {
	Listen                string    `yaml:"listen"`
	RedisURL              string    `yaml:"redis_url"`               // "" or "embedded": in-process Redis; redis://, rediss://, redis-sentinel://, redis-cluster:// or rediss-cluster://
	RedisSentinelPassword string    `yaml:"redis_sentinel_password"` // extension: the Sentinels' own password, for redis-sentinel:// only
	AdminToken            string    `yaml:"admin_token"`
	ShutdownTimeout       Duration  `yaml:"shutdown_timeout"`
	WorkerConcurrency     int       `yaml:"worker_concurrency"`
	MaxBodyBytes          int64     `yaml:"max_body_bytes"`
	DedupWindow           Duration  `yaml:"dedup_window"`
	OrderWait             Duration  `yaml:"order_wait"`
	LogLevel              string    `yaml:"log_level"`        // extension: debug|info|warn|error, default info
	LogFormat             string    `yaml:"log_format"`       // extension: json|text, default json
	TimerResolution       Duration  `yaml:"timer_resolution"` // extension: how often due timers and retries are moved to the queue, default 1s
	SweepEvery            Duration  `yaml:"sweep_every"`      // extension: how often one worker looks for decided versions left without a sync task, default 1m; 0s turns it off
	MetricsListen         string    `yaml:"metrics_listen"`   // extension: extra host:port serving only /metrics, /healthz and /readyz (how a worker is scraped); default none
	PublicURL             string    `yaml:"public_url"`       // where platforms reach this service: connect subscribes {public_url}/webhooks/{adapter}/orders
	Adapters              []Adapter `yaml:"adapters"`

	// Warnings name keys whose values look like a mistake but are valid,
	// e.g. "$VAR" without braces, which is taken literally. Never values.
	Warnings []string `yaml:"-"`
}

// Adapter is one platform account: the keys every adapter has, which
// config decodes and checks, and Own, the keys only its platform reads
// (docs/API.md §2), which the platform parses and checks.
type Adapter struct {
	ID                string   `yaml:"id"`
	Platform          string   `yaml:"platform"`
	Secrets           []string `yaml:"secrets"`
	API               API      `yaml:"api"`
	StorefrontSecrets []string `yaml:"storefront_secrets"`
	MerchantTokens    []string `yaml:"merchant_tokens"`
	Policy            Policy   `yaml:"policy"`
	Retry             Retry    `yaml:"retry"`
	// Reconcile is open: its keys (reconcile.every, reconcile.overlap)
	// belong to the platforms that poll (docs/API.md §13).
	Reconcile Reconcile `yaml:"reconcile"`

	// Own holds every other key of the adapter's block, and of its api and
	// policy mappings ("shop", "api.version", "policy.refund"), with
	// ${VAR} expanded, for the platform.
	Own platform.Block `yaml:"-"`
}

// API is where states are synced back.
type API struct {
	BaseURL string   `yaml:"base_url"`
	Token   string   `yaml:"token"`
	Timeout Duration `yaml:"timeout"`
}

// Policy overrides the platform's default windows (zero keeps the
// default); a platform's own options are in Adapter.Own.
type Policy struct {
	CancelWindow   Duration `yaml:"cancel_window"`
	ResponseWindow Duration `yaml:"response_window"`
}

// Settings is the adapter as its platform takes it.
func (a *Adapter) Settings() platform.Settings {
	return platform.Settings{
		ID: a.ID, Secrets: slices.Clone(a.Secrets),
		API:               platform.API{BaseURL: a.API.BaseURL, Token: a.API.Token, Timeout: a.API.Timeout.D()},
		StorefrontSecrets: slices.Clone(a.StorefrontSecrets),
		MerchantTokens:    slices.Clone(a.MerchantTokens),
		Windows:           platform.Windows{CancelWindow: a.Policy.CancelWindow.D(), ResponseWindow: a.Policy.ResponseWindow.D()},
		Block:             a.Own,
	}
}

// Equal reports whether a and b configure the same adapter: the same
// values, the platform's own keys included, wherever they were written.
func (a Adapter) Equal(b Adapter) bool {
	own, other := a.Own, b.Own
	a.Own, b.Own = platform.Block{}, platform.Block{}
	return reflect.DeepEqual(a, b) && own.Equal(other)
}

// openBlocks are the mappings whose keys config does not know go to the
// adapter's platform (Adapter.Own) instead of being refused here.
var openBlocks = map[reflect.Type]bool{
	reflect.TypeFor[Adapter]():   true,
	reflect.TypeFor[API]():       true,
	reflect.TypeFor[Policy]():    true,
	reflect.TypeFor[Reconcile](): true,
}

// Reconcile is the reconciliation poll's block, whose keys its platforms
// read from Adapter.Own.
type Reconcile struct{}

// Retry shapes the sync-back retries.
type Retry struct {
	MaxAttempts int      `yaml:"max_attempts"`
	BaseDelay   Duration `yaml:"base_delay"`
	MaxDelay    Duration `yaml:"max_delay"`
}

// Sentinel reports whether redis_url names a master through Redis Sentinel.
func (c *Config) Sentinel() bool {
	return strings.HasPrefix(c.RedisURL, sentinelScheme+"://")
}

// Cluster reports whether redis_url names a Redis Cluster.
func (c *Config) Cluster() bool { return IsClusterURL(c.RedisURL) }

// Embedded reports whether the config asks for the in-process Redis
// (redis_url empty or "embedded"), which is for trying cancelsync out only.
func (c *Config) Embedded() bool {
	return c.RedisURL == "" || c.RedisURL == "embedded"
}

// clone returns a deep copy, so defaults and redaction never write through to
// the caller's slices.
func (c *Config) clone() *Config {
	cp := *c
	cp.Adapters = slices.Clone(c.Adapters)
	for i := range cp.Adapters {
		a := &cp.Adapters[i]
		a.Secrets = slices.Clone(a.Secrets)
		a.StorefrontSecrets = slices.Clone(a.StorefrontSecrets)
		a.MerchantTokens = slices.Clone(a.MerchantTokens)
	}
	return &cp
}

// Duration is a time.Duration written in Go syntax ("90s", "3h").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d in Go syntax, e.g. "1h0m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d in Go syntax, so JSON, YAML and slog show "20s"
// rather than a count of nanoseconds.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalYAML reads a Go duration string. Negative durations are rejected:
// no setting in the file means anything by one. The error omits the key; the
// loader adds it.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration like 90s or 3h")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("invalid duration %q (use Go syntax like 90s or 3h)", n.Value)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", n.Value)
	}
	*d = Duration(v)
	return nil
}
