package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/cancelsync/cancelsync/platform"
)

// minHS256Key is the shortest storefront key: as long as HS256's hash.
const minHS256Key = 32

var (
	adapterID  = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"json", "text"}
)

// Validate checks c as it stands (no defaults are applied) against the
// platforms of the registry and returns every problem as an *Error, or nil.
func (c *Config) Validate(platforms platform.Registry) error {
	return c.validate(platforms).err()
}

// validate never quotes admin_token, a secret, a token, a URL that may hold
// a password, or a base_url (which may carry credentials).
func (c *Config) validate(platforms platform.Registry) problems {
	var ps problems
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		ps.add("listen", fmt.Sprintf("%q must be host:port, like 127.0.0.1:8080 or :8080", c.Listen))
	} else if _, err := net.LookupPort("tcp", port); err != nil {
		ps.add("listen", fmt.Sprintf("port %q must be a number from 0 to 65535", port))
	}
	if msg := checkRedisURL(c.RedisURL); msg != "" {
		ps.add("redis_url", msg)
	}
	if c.RedisSentinelPassword != "" && !c.Sentinel() {
		ps.add("redis_sentinel_password", "applies only to a redis-sentinel:// redis_url")
	}
	if c.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListen); err != nil || port == "" {
			ps.add("metrics_listen", fmt.Sprintf("%q must be host:port, like 127.0.0.1:9100 or :9100", c.MetricsListen))
		} else if _, err := net.LookupPort("tcp", port); err != nil {
			ps.add("metrics_listen", fmt.Sprintf("port %q must be a number from 0 to 65535", port))
		} else if c.MetricsListen == c.Listen {
			ps.add("metrics_listen", "must differ from listen (which serves /metrics already)")
		}
	}
	if c.PublicURL != "" {
		if msg := checkBaseURL(c.PublicURL); msg != "" {
			ps.add("public_url", strings.Replace(msg, "api.example.com", "cancelsync.example.com", 1))
		}
	}
	positive(&ps, "shutdown_timeout", c.ShutdownTimeout)
	atLeastOne(&ps, "worker_concurrency", int64(c.WorkerConcurrency))
	atLeastOne(&ps, "max_body_bytes", c.MaxBodyBytes)
	positive(&ps, "dedup_window", c.DedupWindow)
	positive(&ps, "order_wait", c.OrderWait)
	positive(&ps, "timer_resolution", c.TimerResolution)
	if c.SweepEvery < 0 {
		ps.add("sweep_every", "must not be negative (0s turns the sweeper off)")
	}
	oneOf(&ps, "log_level", c.LogLevel, logLevels)
	oneOf(&ps, "log_format", c.LogFormat, logFormats)

	firstIndex := map[string]int{}
	type tokenAt struct {
		adapter int
		key     string
	}
	firstToken := map[string]tokenAt{} // merchant token → where it first appears
	for i, a := range c.Adapters {
		key := adapterKey(i)
		switch {
		case a.ID == "":
			ps.add(key+".id", "is required")
		case !adapterID.MatchString(a.ID):
			ps.add(key+".id", fmt.Sprintf("%q must be 1 to 64 characters of a-z, 0-9 and -", a.ID))
		default:
			if j, dup := firstIndex[a.ID]; dup {
				ps.add(key+".id", fmt.Sprintf("duplicate id %q (also %s.id)", a.ID, adapterKey(j)))
			} else {
				firstIndex[a.ID] = i
			}
		}
		c.Adapters[i].validate(&ps, key, platforms)
		// A merchant token sees only its adapter (docs/API.md §10): one equal
		// to admin_token would see every adapter and /admin, and one listed
		// on two adapters could not see only one of them.
		for j, tok := range a.MerchantTokens {
			tkey := fmt.Sprintf("%s.merchant_tokens[%d]", key, j)
			switch first, dup := firstToken[tok]; {
			case tok == "":
			case tok == c.AdminToken:
				ps.add(tkey, "must differ from admin_token: a merchant token sees only its adapter")
			case dup && first.adapter != i:
				ps.add(tkey, fmt.Sprintf("is also %s: a merchant token sees only its adapter", first.key))
			case !dup:
				firstToken[tok] = tokenAt{i, tkey}
			}
		}
	}
	return ps
}

func (a *Adapter) validate(ps *problems, key string, platforms platform.Registry) {
	p, known := platforms[a.Platform]
	switch {
	case a.Platform == "":
		ps.add(key+".platform", fmt.Sprintf("is required (one of %s)", strings.Join(platforms.Names(), ", ")))
	case !known:
		ps.add(key+".platform", fmt.Sprintf("unknown platform %q (one of %s)", a.Platform, strings.Join(platforms.Names(), ", ")))
	}

	if len(a.Secrets) == 0 {
		ps.add(key+".secrets", "at least one secret is required")
	}
	if known && p.CheckSecret != nil {
		for j, s := range a.Secrets {
			// The platform's message never quotes the secret.
			if err := p.CheckSecret(s); err != nil {
				ps.add(fmt.Sprintf("%s.secrets[%d]", key, j), err.Error())
			}
		}
	}
	nonEmpty(ps, key+".storefront_secrets", a.StorefrontSecrets)
	for j, k := range a.StorefrontSecrets {
		// An HS256 key shorter than the hash output is refused by RFC 7518
		// §3.2; a short one is guessable offline from any buyer's token.
		if k != "" && len(k) < minHS256Key {
			ps.add(fmt.Sprintf("%s.storefront_secrets[%d]", key, j), fmt.Sprintf(
				"must be at least %d bytes (an HS256 key of 256 bits, RFC 7518 §3.2); to make one: openssl rand -base64 32", minHS256Key))
		}
	}
	nonEmpty(ps, key+".merchant_tokens", a.MerchantTokens)

	if msg := checkBaseURL(a.API.BaseURL); msg != "" {
		ps.add(key+".api.base_url", msg)
	}
	positive(ps, key+".api.timeout", a.API.Timeout)

	notNegative(ps, key+".policy.cancel_window", a.Policy.CancelWindow)
	notNegative(ps, key+".policy.response_window", a.Policy.ResponseWindow)

	atLeastOne(ps, key+".retry.max_attempts", int64(a.Retry.MaxAttempts))
	positive(ps, key+".retry.base_delay", a.Retry.BaseDelay)
	if a.Retry.BaseDelay > 0 && a.Retry.MaxDelay < a.Retry.BaseDelay {
		ps.add(key+".retry.max_delay", fmt.Sprintf("must not be less than base_delay (%s)", a.Retry.BaseDelay))
	}

	// The platform parses and checks its own block and the common keys
	// it requires or does not use.
	if known && p.Check != nil {
		for _, fe := range p.Check(a.Settings()) {
			ps.add(joinKey(key, fe.Field), fe.Message)
		}
	}
}

// nonEmpty reports each empty entry of a list of keys or tokens: an empty
// one would match an empty credential.
func nonEmpty(ps *problems, key string, list []string) {
	for j, s := range list {
		if s == "" {
			ps.add(fmt.Sprintf("%s[%d]", key, j), "must not be empty")
		}
	}
}

func checkBaseURL(s string) string {
	if s == "" {
		return "is required"
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an absolute http or https URL, like https://api.example.com"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must not have a query or fragment (paths are appended to it)"
	}
	return ""
}

func checkRedisURL(s string) string {
	if s == "" || s == "embedded" {
		return ""
	}
	u, err := url.Parse(s)
	if err == nil && u.Scheme == sentinelScheme {
		if _, err := ParseSentinelURL(s); err != nil {
			return err.Error()
		}
		return ""
	}
	if IsClusterURL(s) {
		if _, err := ParseClusterURL(s); err != nil {
			return err.Error()
		}
		return ""
	}
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return `must be empty, "embedded", a redis:// or rediss:// URL, a redis-sentinel:// URL, or a redis-cluster:// or rediss-cluster:// URL`
	}
	if u.Hostname() == "" {
		return "must name a host, like redis://127.0.0.1:6379/0"
	}
	if _, err := parseDB(u.Path); err != nil {
		return err.Error()
	}
	return ""
}

func positive(ps *problems, key string, d Duration) {
	if d <= 0 {
		ps.add(key, "must be greater than 0")
	}
}

func notNegative(ps *problems, key string, d Duration) {
	if d < 0 {
		ps.add(key, "must not be negative")
	}
}

func atLeastOne(ps *problems, key string, n int64) {
	if n < 1 {
		ps.add(key, "must be at least 1")
	}
}

func oneOf(ps *problems, key, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		ps.add(key, fmt.Sprintf("%q must be one of %s", value, strings.Join(allowed, ", ")))
	}
}
