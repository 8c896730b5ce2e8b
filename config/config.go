// Package config loads, expands, defaults and validates cancelsync's YAML
// configuration. It knows nothing about HTTP or Redis.
package config

import "time"

// Config is the whole file (CONTRACT §2).
type Config struct {
	Listen            string    `yaml:"listen"`
	RedisURL          string    `yaml:"redis_url"` // "" or "embedded": in-process Redis
	AdminToken        string    `yaml:"admin_token"`
	ShutdownTimeout   Duration  `yaml:"shutdown_timeout"`
	WorkerConcurrency int       `yaml:"worker_concurrency"`
	MaxBodyBytes      int64     `yaml:"max_body_bytes"`
	DedupWindow       Duration  `yaml:"dedup_window"`
	OrderWait         Duration  `yaml:"order_wait"`
	LogLevel          string    `yaml:"log_level"`        // extension: debug|info|warn|error, default info
	LogFormat         string    `yaml:"log_format"`       // extension: json|text, default json
	TimerResolution   Duration  `yaml:"timer_resolution"` // extension: how often due timers and retries are moved to the queue, default 1s
	Adapters          []Adapter `yaml:"adapters"`
}

// Adapter is one platform account.
type Adapter struct {
	ID       string   `yaml:"id"`
	Platform string   `yaml:"platform"`
	Secrets  []string `yaml:"secrets"`
	API      API      `yaml:"api"`
	Policy   Policy   `yaml:"policy"`
	Retry    Retry    `yaml:"retry"`
}

// API is where states are synced back.
type API struct {
	BaseURL string   `yaml:"base_url"`
	Token   string   `yaml:"token"`
	Timeout Duration `yaml:"timeout"`
}

// Policy overrides the platform's default windows; zero keeps the default.
type Policy struct {
	CancelWindow   Duration `yaml:"cancel_window"`
	ResponseWindow Duration `yaml:"response_window"`
}

// Retry shapes the sync-back retries.
type Retry struct {
	MaxAttempts int      `yaml:"max_attempts"`
	BaseDelay   Duration `yaml:"base_delay"`
	MaxDelay    Duration `yaml:"max_delay"`
}

// Duration is a time.Duration written in Go syntax ("90s", "3h").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
