package config

import (
	"log/slog"
	"net/url"
	"strconv"
)

// redactedMark replaces a secret value wherever a config is shown.
const redactedMark = "[redacted]"

func mask(s string) string {
	if s == "" {
		return "" // show that it is unset, which is safe and useful
	}
	return redactedMark
}

// Redacted returns a copy of c that is safe to print: admin_token, every
// secret, storefront secret, merchant token, api.token, every key its
// platform marks secret (relay_secrets, api.consumer_key, ...) and
// redis_sentinel_password are masked and redis_url loses its password.
func (c *Config) Redacted() *Config {
	r := c.clone()
	r.AdminToken = mask(r.AdminToken)
	r.RedisURL = RedactURL(r.RedisURL)
	r.RedisSentinelPassword = mask(r.RedisSentinelPassword)
	for i := range r.Adapters {
		a := &r.Adapters[i]
		for _, list := range [][]string{a.Secrets, a.StorefrontSecrets, a.MerchantTokens} {
			for j := range list {
				list[j] = mask(list[j])
			}
		}
		a.API.Token = mask(a.API.Token)
		a.Own = a.Own.Redacted(mask)
		a.API.BaseURL = RedactURL(a.API.BaseURL)
	}
	return r
}

// RedactURL returns s with any password replaced by "xxxxx", for logging a
// redis_url. A string that does not parse as a URL could hide a password
// anywhere, so it is masked whole.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redactedMark
	}
	return u.Redacted()
}

// LogValue lets slog log a Config (or *Config) directly without leaking
// secrets. It has a value receiver so that both forms are covered.
func (c Config) LogValue() slog.Value {
	adapters := make([]slog.Attr, len(c.Adapters))
	for i, a := range c.Adapters {
		name := a.ID
		if name == "" {
			name = strconv.Itoa(i)
		}
		adapters[i] = slog.Any(name, a)
	}
	return slog.GroupValue(
		slog.String("listen", c.Listen),
		slog.String("redis_url", RedactURL(c.RedisURL)),
		slog.String("redis_sentinel_password", mask(c.RedisSentinelPassword)),
		slog.String("admin_token", mask(c.AdminToken)),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.Int("worker_concurrency", c.WorkerConcurrency),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.String("dedup_window", c.DedupWindow.String()),
		slog.String("order_wait", c.OrderWait.String()),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.String("timer_resolution", c.TimerResolution.String()),
		slog.String("sweep_every", c.SweepEvery.String()),
		slog.String("metrics_listen", c.MetricsListen),
		slog.String("public_url", RedactURL(c.PublicURL)),
		slog.Attr{Key: "adapters", Value: slog.GroupValue(adapters...)},
	)
}

// LogValue shows an adapter with its secrets and tokens counted, not shown,
// and the keys its platform reads (Own) with the secret ones masked.
func (a Adapter) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", a.ID),
		slog.String("platform", a.Platform),
		slog.Int("secrets", len(a.Secrets)),
		slog.Any("api", a.API),
		slog.Int("storefront_secrets", len(a.StorefrontSecrets)),
		slog.Int("merchant_tokens", len(a.MerchantTokens)),
		slog.Group("policy",
			slog.String("cancel_window", a.Policy.CancelWindow.String()),
			slog.String("response_window", a.Policy.ResponseWindow.String()),
		),
		slog.Group("retry",
			slog.Int("max_attempts", a.Retry.MaxAttempts),
			slog.String("base_delay", a.Retry.BaseDelay.String()),
			slog.String("max_delay", a.Retry.MaxDelay.String()),
		),
		slog.Any("platform_keys", a.Own),
	)
}

// LogValue shows the API settings with the token masked.
func (a API) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", RedactURL(a.BaseURL)),
		slog.String("token", mask(a.Token)),
		slog.String("timeout", a.Timeout.String()),
	)
}
