package config

import "time"

// Defaults for every setting the file may leave out (docs/API.md §2). redis_url
// has none: empty means the embedded Redis.
const (
	defaultListen            = "127.0.0.1:8080"
	defaultShutdownTimeout   = Duration(20 * time.Second)
	defaultWorkerConcurrency = 50
	defaultMaxBodyBytes      = 1 << 20
	defaultDedupWindow       = Duration(72 * time.Hour)
	defaultOrderWait         = Duration(10 * time.Minute)
	defaultLogLevel          = "info"
	defaultLogFormat         = "json"
	defaultTimerResolution   = Duration(time.Second)
	defaultSweepEvery        = Duration(time.Minute)
)

// The sync-back defaults of every adapter: exported, as the one home of
// these facts, for the parts that need them for an adapter the config no
// longer has (a reload removed it while its tasks are queued).
const (
	DefaultAPITimeout  = Duration(5 * time.Second)
	DefaultMaxAttempts = 12
	DefaultBaseDelay   = Duration(time.Second)
	DefaultMaxDelay    = Duration(time.Hour)
)

// WithDefaults returns a copy of c with every zero setting replaced by its
// default. c itself is not changed.
func (c *Config) WithDefaults() *Config {
	cp := c.clone()
	cp.applyDefaults(nil)
	return cp
}

// applyDefaults fills zero settings in place, except those whose key is in
// given: a value written explicitly in the file, such as "timeout: 0s", is
// kept so that validation reports it instead of silently replacing it.
func (c *Config) applyDefaults(given map[string]bool) {
	setDefault(given, "listen", &c.Listen, defaultListen)
	setDefault(given, "shutdown_timeout", &c.ShutdownTimeout, defaultShutdownTimeout)
	setDefault(given, "worker_concurrency", &c.WorkerConcurrency, defaultWorkerConcurrency)
	setDefault(given, "max_body_bytes", &c.MaxBodyBytes, defaultMaxBodyBytes)
	setDefault(given, "dedup_window", &c.DedupWindow, defaultDedupWindow)
	setDefault(given, "order_wait", &c.OrderWait, defaultOrderWait)
	setDefault(given, "log_level", &c.LogLevel, defaultLogLevel)
	setDefault(given, "log_format", &c.LogFormat, defaultLogFormat)
	setDefault(given, "timer_resolution", &c.TimerResolution, defaultTimerResolution)
	setDefault(given, "sweep_every", &c.SweepEvery, defaultSweepEvery)
	for i := range c.Adapters {
		a := &c.Adapters[i]
		key := adapterKey(i)
		setDefault(given, key+".api.timeout", &a.API.Timeout, DefaultAPITimeout)
		setDefault(given, key+".retry.max_attempts", &a.Retry.MaxAttempts, DefaultMaxAttempts)
		setDefault(given, key+".retry.base_delay", &a.Retry.BaseDelay, DefaultBaseDelay)
		setDefault(given, key+".retry.max_delay", &a.Retry.MaxDelay, DefaultMaxDelay)
	}
}

func setDefault[T comparable](given map[string]bool, key string, p *T, def T) {
	var zero T
	if *p == zero && !given[key] {
		*p = def
	}
}
