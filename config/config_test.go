package config

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/registry"
)

var testPlatforms = registry.Default()

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// minimal is the least a working file needs: one adapter with its secret
// and where to sync.
const minimal = `
adapters:
  - id: acme-posh
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
    api:
      base_url: "https://api.example.test"
`

func envOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func noEnv(string) (string, bool) { return "", false }

// parseErr parses src and returns its *Error, failing if it parses cleanly.
func parseErr(t *testing.T, src string, getenv func(string) (string, bool)) *Error {
	t.Helper()
	cfg, err := Parse([]byte(src), testPlatforms, getenv)
	if err == nil {
		t.Fatalf("Parse succeeded with %+v, want an error", cfg.Redacted())
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Parse error is %T (%v), want *Error", err, err)
	}
	if cfg != nil {
		t.Errorf("Parse returned a config along with the error")
	}
	return cerr
}

func hasProblem(e *Error, key, msg string) bool {
	for _, p := range e.Problems {
		if p.Key == key && strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

func TestParseAppliesDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Parse([]byte(minimal), testPlatforms, noEnv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Config{
		Listen:            "127.0.0.1:8080",
		RedisURL:          "",
		ShutdownTimeout:   Duration(20 * time.Second),
		WorkerConcurrency: 50,
		MaxBodyBytes:      1048576,
		DedupWindow:       Duration(72 * time.Hour),
		OrderWait:         Duration(10 * time.Minute),
		LogLevel:          "info",
		LogFormat:         "json",
		TimerResolution:   Duration(time.Second),
		SweepEvery:        Duration(time.Minute),
		Adapters: []Adapter{{
			ID:       "acme-posh",
			Platform: "poshmark",
			Secrets:  []string{testSecret},
			API:      API{BaseURL: "https://api.example.test", Timeout: Duration(5 * time.Second)},
			Retry:    Retry{MaxAttempts: 12, BaseDelay: Duration(time.Second), MaxDelay: Duration(time.Hour)},
		}},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Parse(minimal) =\n%+v\nwant\n%+v", cfg, want)
	}
	if !cfg.Embedded() {
		t.Errorf("Embedded() = false for an empty redis_url")
	}
}

func TestParseContractExample(t *testing.T) {
	t.Parallel()
	src := `
listen: "0.0.0.0:9090"
redis_url: "redis://127.0.0.1:6379/0"
admin_token: "${CANCELSYNC_ADMIN_TOKEN}"
shutdown_timeout: 30s
worker_concurrency: 8
max_body_bytes: 2048
dedup_window: 24h
order_wait: 90s
log_level: debug
log_format: text
timer_resolution: 250ms
adapters:
  - id: acme-posh
    platform: poshmark
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25k"]
    api:
      base_url: "https://api.example.test"
      token: "${ACME_POSH_TOKEN}"
      timeout: 7s
    policy:
      cancel_window: 3h
      response_window: 48h
    retry:
      max_attempts: 3
      base_delay: 2s
      max_delay: 1m
  - id: acme-ali
    platform: aliexpress
    secrets: ["whsec_c2Vjb25k"]
    api: {base_url: "http://localhost:8081/ali/"}
`
	getenv := envOf(map[string]string{"CANCELSYNC_ADMIN_TOKEN": "adm-1", "ACME_POSH_TOKEN": "tok-1"})
	cfg, err := Parse([]byte(src), testPlatforms, getenv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Config{
		Listen:            "0.0.0.0:9090",
		RedisURL:          "redis://127.0.0.1:6379/0",
		AdminToken:        "adm-1",
		ShutdownTimeout:   Duration(30 * time.Second),
		WorkerConcurrency: 8,
		MaxBodyBytes:      2048,
		DedupWindow:       Duration(24 * time.Hour),
		OrderWait:         Duration(90 * time.Second),
		LogLevel:          "debug",
		LogFormat:         "text",
		TimerResolution:   Duration(250 * time.Millisecond),
		SweepEvery:        Duration(time.Minute),
		Adapters: []Adapter{
			{
				ID:       "acme-posh",
				Platform: "poshmark",
				Secrets:  []string{testSecret, "whsec_c2Vjb25k"},
				API:      API{BaseURL: "https://api.example.test", Token: "tok-1", Timeout: Duration(7 * time.Second)},
				Policy:   Policy{CancelWindow: Duration(3 * time.Hour), ResponseWindow: Duration(48 * time.Hour)},
				Retry:    Retry{MaxAttempts: 3, BaseDelay: Duration(2 * time.Second), MaxDelay: Duration(time.Minute)},
			},
			{
				ID:       "acme-ali",
				Platform: "aliexpress",
				Secrets:  []string{"whsec_c2Vjb25k"},
				API:      API{BaseURL: "http://localhost:8081/ali/", Timeout: Duration(5 * time.Second)},
				Retry:    Retry{MaxAttempts: 12, BaseDelay: Duration(time.Second), MaxDelay: Duration(time.Hour)},
			},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", cfg, want)
	}
	if cfg.Embedded() {
		t.Errorf("Embedded() = true for a redis:// URL")
	}
}

// TestParseAcceptsUnpaddedSecret keeps config in step with the verifier,
// which keys with unpadded base64 too.
func TestParseAcceptsUnpaddedSecret(t *testing.T) {
	t.Parallel()
	unpadded := strings.Replace(minimal, testSecret, "whsec_c2VjcmV0IQ", 1) // "secret!" without its "=="
	if _, err := Parse([]byte(unpadded), testPlatforms, noEnv); err != nil {
		t.Errorf("Parse with an unpadded secret: %v", err)
	}
}

func TestParseZeroAdapters(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "\n", "listen: \":8080\"\n", "adapters: []\n", "adapters:\n"} {
		cfg, err := Parse([]byte(src), testPlatforms, noEnv)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		if len(cfg.Adapters) != 0 || cfg.WorkerConcurrency != 50 {
			t.Errorf("Parse(%q) = %+v, want defaults and no adapters", src, cfg)
		}
	}
}

func TestParseExpandsEnv(t *testing.T) {
	t.Parallel()
	getenv := envOf(map[string]string{
		"SECRET":  testSecret,
		"TOKEN":   "t0k$en",
		"HOST":    "api.example.test",
		"WORKERS": "7",
		"WAIT":    "2m",
		"NESTED":  "${TOKEN}",
		"NULLISH": "null",
		"EMPTY":   "",
	})
	tests := []struct {
		name string
		src  string
		get  func(*Config) any
		want any
	}{
		{"whole value", "admin_token: ${TOKEN}\n", func(c *Config) any { return c.AdminToken }, "t0k$en"},
		{"quoted", `admin_token: "${TOKEN}"` + "\n", func(c *Config) any { return c.AdminToken }, "t0k$en"},
		{"inside a string", "admin_token: a-${TOKEN}-${TOKEN}-z\n", func(c *Config) any { return c.AdminToken }, "a-t0k$en-t0k$en-z"},
		{"not re-expanded", "admin_token: ${NESTED}\n", func(c *Config) any { return c.AdminToken }, "${TOKEN}"},
		{"shell form left alone", "admin_token: $TOKEN\n", func(c *Config) any { return c.AdminToken }, "$TOKEN"},
		{"stays a string", "admin_token: ${NULLISH}\n", func(c *Config) any { return c.AdminToken }, "null"},
		{"set but empty", "admin_token: ${EMPTY}\n", func(c *Config) any { return c.AdminToken }, ""},
		{"integer", "worker_concurrency: ${WORKERS}\n", func(c *Config) any { return c.WorkerConcurrency }, 7},
		{"quoted integer", `worker_concurrency: "${WORKERS}"` + "\n", func(c *Config) any { return c.WorkerConcurrency }, 7},
		{"duration", "order_wait: ${WAIT}\n", func(c *Config) any { return c.OrderWait }, Duration(2 * time.Minute)},
		{
			"adapter fields",
			`
adapters:
  - id: a
    platform: fiverr
    secrets: ["${SECRET}"]
    api: {base_url: "https://${HOST}/v2", token: "${TOKEN}"}
`,
			func(c *Config) any { a := c.Adapters[0]; return [3]string{a.Secrets[0], a.API.BaseURL, a.API.Token} },
			[3]string{testSecret, "https://api.example.test/v2", "t0k$en"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse([]byte(tt.src), testPlatforms, getenv)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := tt.get(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseUnsetEnvNamesKey(t *testing.T) {
	t.Parallel()
	src := `
admin_token: "${ADMIN}"
adapters:
  - id: acme
    platform: poshmark
    secrets: ["${ACME_SECRET}"]
    api:
      base_url: "https://api.example.test"
      token: "${ACME_TOKEN}"
`
	e := parseErr(t, src, envOf(map[string]string{"ADMIN": "x"}))
	want := []Problem{
		{"adapters[0].secrets[0]", "environment variable ACME_SECRET is not set"},
		{"adapters[0].api.token", "environment variable ACME_TOKEN is not set"},
	}
	if !reflect.DeepEqual(e.Problems, want) {
		t.Errorf("problems = %q, want %q", e.Problems, want)
	}
	if got, wantLine := e.Error(), "adapters[0].api.token: environment variable ACME_TOKEN is not set"; !strings.Contains(got, wantLine) {
		t.Errorf("Error() = %q, want a line %q", got, wantLine)
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	// adapter renders one valid adapter entry; each line replaces the line
	// of the same key, "key: -" drops it, and other keys are appended.
	adapter := func(lines ...string) string {
		fields := map[string]string{
			"id":       "id: acme",
			"platform": "platform: poshmark",
			"secrets":  `secrets: ["` + testSecret + `"]`,
			"api":      "api: {base_url: \"https://api.example.test\"}",
		}
		order := []string{"id", "platform", "secrets", "api"}
		var extra []string
		for _, l := range lines {
			k, _, _ := strings.Cut(l, ":")
			if _, ok := fields[k]; ok {
				fields[k] = l
			} else {
				extra = append(extra, l)
			}
		}
		var b strings.Builder
		b.WriteString("adapters:\n")
		first := true
		for _, k := range order {
			if strings.HasSuffix(fields[k], ": -") {
				continue // "key: -" leaves the key out
			}
			if first {
				first = false
				b.WriteString("  - ")
			} else {
				b.WriteString("    ")
			}
			b.WriteString(fields[k] + "\n")
		}
		for _, l := range extra {
			b.WriteString("    " + l + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name string
		src  string
		key  string
		msg  string
	}{
		{"unknown top-level key", "listn: \":8080\"\n", "listn", "unknown key"},
		{"unknown adapter key", adapter("secret: x"), "adapters[0].secret", "unknown key"},
		{"unknown api key", adapter(`api: {base_url: "https://a.test", tokn: x}`), "adapters[0].api.tokn", "unknown key"},
		{"unknown policy key", adapter("policy: {window: 3h}"), "adapters[0].policy.window", "unknown key"},
		{"duplicate key", "listen: \":1\"\nlisten: \":2\"\n", "listen", "duplicate key"},
		{"missing secrets", adapter("secrets: -"), "adapters[0].secrets", "at least one secret"},
		{"empty secrets", adapter("secrets: []"), "adapters[0].secrets", "at least one secret"},
		{"secrets not a list", adapter("secrets: " + testSecret), "adapters[0].secrets", "must be a list"},
		{"secret without whsec_", adapter(`secrets: ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]`), "adapters[0].secrets[0]", `must be "whsec_" followed by base64`},
		{"secret bad base64", adapter(`secrets: ["` + testSecret + `", "whsec_not*base64"]`), "adapters[0].secrets[1]", `must be "whsec_" followed by base64`},
		{"secret empty key", adapter(`secrets: ["whsec_"]`), "adapters[0].secrets[0]", `must be "whsec_" followed by base64`},
		{"duplicate id", adapter() + strings.TrimPrefix(adapter(), "adapters:\n"), "adapters[1].id", `duplicate id "acme" (also adapters[0].id)`},
		{"unknown platform", adapter("platform: ebay"), "adapters[0].platform", `unknown platform "ebay"`},
		{"missing platform", adapter("platform: -"), "adapters[0].platform", "is required"},
		{"relative base_url", adapter(`api: {base_url: "/api/v1"}`), "adapters[0].api.base_url", "absolute http or https URL"},
		{"base_url without scheme", adapter(`api: {base_url: "api.example.test"}`), "adapters[0].api.base_url", "absolute http or https URL"},
		{"base_url other scheme", adapter(`api: {base_url: "ftp://api.example.test"}`), "adapters[0].api.base_url", "absolute http or https URL"},
		{"base_url without host", adapter(`api: {base_url: "https:///x"}`), "adapters[0].api.base_url", "absolute http or https URL"},
		{"base_url with query", adapter(`api: {base_url: "https://a.test/?x=1"}`), "adapters[0].api.base_url", "query"},
		{"missing base_url", adapter("api: {}"), "adapters[0].api.base_url", "is required"},
		{"bad duration", "shutdown_timeout: abc\n", "shutdown_timeout", `invalid duration "abc"`},
		{"duration without unit", "order_wait: 10\n", "order_wait", `invalid duration "10"`},
		{"negative duration", "dedup_window: -1h\n", "dedup_window", "must not be negative"},
		{"bad adapter duration", adapter(`api: {base_url: "https://a.test", timeout: soon}`), "adapters[0].api.timeout", `invalid duration "soon"`},
		{"zero timeout", adapter(`api: {base_url: "https://a.test", timeout: 0s}`), "adapters[0].api.timeout", "greater than 0"},
		{"bad id uppercase", adapter("id: Acme"), "adapters[0].id", "a-z, 0-9 and -"},
		{"bad id underscore", adapter("id: acme_posh"), "adapters[0].id", "a-z, 0-9 and -"},
		{"bad id too long", adapter("id: " + strings.Repeat("a", 65)), "adapters[0].id", "a-z, 0-9 and -"},
		{"missing id", adapter("id: -"), "adapters[0].id", "is required"},
		{"max_attempts zero", adapter("retry: {max_attempts: 0}"), "adapters[0].retry.max_attempts", "at least 1"},
		{"base_delay zero", adapter("retry: {base_delay: 0s}"), "adapters[0].retry.base_delay", "greater than 0"},
		{"max_delay below base_delay", adapter("retry: {base_delay: 10s, max_delay: 5s}"), "adapters[0].retry.max_delay", "base_delay (10s)"},
		{"worker_concurrency zero", "worker_concurrency: 0\n", "worker_concurrency", "at least 1"},
		{"worker_concurrency not a number", "worker_concurrency: many\n", "worker_concurrency", "must be an integer"},
		{"max_body_bytes negative", "max_body_bytes: -1\n", "max_body_bytes", "at least 1"},
		{"order_wait zero", "order_wait: 0s\n", "order_wait", "greater than 0"},
		{"log_level", "log_level: verbose\n", "log_level", "debug, info, warn, error"},
		{"log_format", "log_format: xml\n", "log_format", "json, text"},
		{"redis_url scheme", "redis_url: \"http://127.0.0.1:6379\"\n", "redis_url", "redis:// or rediss://"},
		{"redis_url no host", "redis_url: \"redis:///0\"\n", "redis_url", "must name a host"},
		{"redis_url bad db", "redis_url: \"redis://127.0.0.1:6379/zero\"\n", "redis_url", "database"},
		{"listen without port", "listen: \"127.0.0.1\"\n", "listen", "host:port"},
		{"listen empty", "listen: \"\"\n", "listen", "host:port"},
		{"listen port out of range", "listen: \"127.0.0.1:99999\"\n", "listen", "from 0 to 65535"},
		{"listen port not a port", "listen: \"127.0.0.1:-1\"\n", "listen", "from 0 to 65535"},
		{"metrics_listen port out of range", "metrics_listen: \":65536\"\n", "metrics_listen", "from 0 to 65535"},
		{"adapters not a list", "adapters: {id: acme}\n", "adapters", "must be a list"},
		{"api not a mapping", adapter("api: https://a.test"), "adapters[0].api", "must be a mapping"},
		{"string given a list", "listen: [a, b]\n", "listen", "must be a string"},
		{"not a mapping", "- listen\n", "", "YAML mapping"},
		{"syntax error", "listen: \"unterminated\n", "", "yaml:"},
		{"two documents", "listen: \":1\"\n---\nlisten: \":2\"\n", "", "single YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := parseErr(t, tt.src, noEnv)
			if !hasProblem(e, tt.key, tt.msg) {
				t.Errorf("problems = %q\nwant key %q with message containing %q", e.Problems, tt.key, tt.msg)
			}
			if tt.key != "" && !strings.Contains(e.Error(), tt.key+": ") {
				t.Errorf("Error() = %q does not name key %q", e.Error(), tt.key)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()
	src := `
listen: nowhere
bogus: 1
worker_concurrency: 0
adapters:
  - id: acme
    platform: ebay
    secrets: ["nope"]
    api: {base_url: "/relative", timeout: later}
  - id: acme
    platform: fiverr
`
	e := parseErr(t, src, noEnv)
	want := []Problem{
		{"bogus", "unknown key"},
		{"adapters[0].api.timeout", `invalid duration "later" (use Go syntax like 90s or 3h)`},
		{"listen", `"nowhere" must be host:port, like 127.0.0.1:8080 or :8080`},
		{"worker_concurrency", "must be at least 1"},
		{"adapters[0].platform", `unknown platform "ebay" (one of aliexpress, fiverr, poshmark, selfservice, shopify, woocommerce)`},
		// No secrets[0] problem: the platform owns the secret format, and
		// an unknown platform cannot be asked.
		{"adapters[0].api.base_url", "must be an absolute http or https URL, like https://api.example.com"},
		{"adapters[1].id", `duplicate id "acme" (also adapters[0].id)`},
		{"adapters[1].secrets", "at least one secret is required"},
		{"adapters[1].api.base_url", "is required"},
	}
	if !reflect.DeepEqual(e.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", e, &Error{Problems: want})
	}
	if lines := strings.Split(e.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("Error() has %d lines, want one per problem (%d)", len(lines), len(want))
	}
}

// TestNoSecretInOutput checks that secret values never reach error messages,
// Redacted or a log line, even when they land in the wrong place.
func TestNoSecretInOutput(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"ADMIN_TOKEN": "admin-SEKRIT-1",
		"API_TOKEN":   "api-SEKRIT-2",
		"REDIS_PASS":  "redis-SEKRIT-3",
	}
	badSecret := "SEKRIT4notwhsec"
	badB64 := "whsec_SEKRIT*5"
	src := `
redis_url: "redis://user:${REDIS_PASS}@localhost:6379/zero"
admin_token: "${ADMIN_TOKEN}"
worker_concurrency: "${API_TOKEN}"
shutdown_timeout: "${ADMIN_TOKEN}"
adapters:
  - id: acme
    platform: poshmark
    secrets: ["` + badSecret + `", "` + badB64 + `"]
    api:
      base_url: "https://user:${API_TOKEN}@/nohost"
      token: "${API_TOKEN}"
      timeout: "${API_TOKEN}"
`
	all := []string{badSecret, badB64, "SEKRIT"}
	for _, v := range secrets {
		all = append(all, v)
	}
	check := func(what, out string) {
		t.Helper()
		for _, s := range all {
			if strings.Contains(out, s) {
				t.Errorf("%s contains secret %q:\n%s", what, s, out)
			}
		}
	}

	e := parseErr(t, src, envOf(secrets))
	check("Error()", e.Error())
	if len(e.Problems) < 6 {
		t.Errorf("want at least 6 problems, got:\n%s", e)
	}

	// A config that is valid but full of secrets, shown every way it can be.
	good := `
redis_url: "redis://:${REDIS_PASS}@localhost:6379/0"
admin_token: "${ADMIN_TOKEN}"
adapters:
  - id: acme
    platform: poshmark
    secrets: ["whsec_U0VLUklU"]
    api:
      base_url: "https://api.example.test"
      token: "${API_TOKEN}"
`
	all = append(all, "whsec_U0VLUklU", "U0VLUklU")
	cfg, err := Parse([]byte(good), testPlatforms, envOf(secrets))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "config", cfg, "value", *cfg, "adapter", cfg.Adapters[0], "api", cfg.Adapters[0].API)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", cfg)
	check("log output", buf.String())
	if !strings.Contains(buf.String(), `"admin_token":"[redacted]"`) || !strings.Contains(buf.String(), `"platform":"poshmark"`) {
		t.Errorf("log output lacks the expected fields:\n%s", buf.String())
	}
	r := cfg.Redacted()
	check("Redacted()", strings.Join([]string{r.AdminToken, r.RedisURL, r.Adapters[0].Secrets[0], r.Adapters[0].API.Token}, " "))
	if cfg.AdminToken != secrets["ADMIN_TOKEN"] || cfg.Adapters[0].Secrets[0] != "whsec_U0VLUklU" {
		t.Errorf("Redacted changed the original config")
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testPlatforms)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(cfg.Adapters) != 1 || cfg.Adapters[0].ID != "acme-posh" || cfg.Listen != "127.0.0.1:8080" {
		t.Errorf("Load = %+v", cfg)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("listen: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var cerr *Error
	if _, err := Load(bad, testPlatforms); !errors.As(err, &cerr) || !hasProblem(cerr, "listen", "host:port") {
		t.Errorf("Load(bad) error = %v, want a listen problem", err)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml"), testPlatforms); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want os.ErrNotExist", err)
	}
}

func TestLoadExpandsProcessEnv(t *testing.T) {
	// Not parallel: t.Setenv.
	t.Setenv("CANCELSYNC_TEST_ADMIN_TOKEN", "from-env")
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("admin_token: ${CANCELSYNC_TEST_ADMIN_TOKEN}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, testPlatforms)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.AdminToken != "from-env" {
		t.Errorf("AdminToken = %q, want from-env", cfg.AdminToken)
	}
}

func TestWithDefaults(t *testing.T) {
	t.Parallel()
	c := &Config{WorkerConcurrency: 3, Adapters: []Adapter{{ID: "a", Secrets: []string{testSecret}}}}
	d := c.WithDefaults()
	if d.WorkerConcurrency != 3 || d.Listen != defaultListen || d.Adapters[0].Retry.MaxAttempts != 12 {
		t.Errorf("WithDefaults = %+v", d)
	}
	if c.Listen != "" || c.Adapters[0].Retry.MaxAttempts != 0 {
		t.Errorf("WithDefaults changed its receiver: %+v", c)
	}
	d.Adapters[0].Secrets[0] = "changed"
	if c.Adapters[0].Secrets[0] != testSecret {
		t.Errorf("WithDefaults shares the secrets slice")
	}
	d.Adapters[0].Platform = "poshmark"
	d.Adapters[0].API.BaseURL = "https://a.test"
	d.Adapters[0].Secrets[0] = testSecret
	if err := d.Validate(testPlatforms); err != nil {
		t.Errorf("Validate(WithDefaults) = %v", err)
	}
	if err := (&Config{}).Validate(testPlatforms); err == nil {
		t.Errorf("Validate of a zero Config = nil, want problems")
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"embedded", "embedded"},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://:pa55@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"rediss://user:p@ss@redis.example:6380", "rediss://user:xxxxx@redis.example:6380"},
		{"redis://user@127.0.0.1", "redis://user@127.0.0.1"},
		{"redis://user:pa55@host:port/0", "[redacted]"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmbedded(t *testing.T) {
	t.Parallel()
	for url, want := range map[string]bool{"": true, "embedded": true, "redis://127.0.0.1:6379": false} {
		if got := (&Config{RedisURL: url}).Embedded(); got != want {
			t.Errorf("Embedded() with redis_url %q = %v, want %v", url, got, want)
		}
	}
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	if got := Duration(90 * time.Second).String(); got != "1m30s" {
		t.Errorf("String() = %q, want 1m30s", got)
	}
	if got, _ := Duration(3 * time.Hour).MarshalText(); string(got) != "3h0m0s" {
		t.Errorf("MarshalText() = %q, want 3h0m0s", got)
	}
}

// "$NAME" without braces is not expanded; the value is kept as written and
// the key is named in a warning, never the value.
func TestParseWarnsOfBareDollarNames(t *testing.T) {
	t.Parallel()
	src := "admin_token: \"$ADMIN_TOKEN\"\n" + minimal + "    api: {base_url: \"https://api.example.test\", token: \"${TOK}x$1\"}\n"
	src = strings.Replace(src, "    api:\n      base_url: \"https://api.example.test\"\n", "", 1)
	cfg, err := Parse([]byte(src), testPlatforms, envOf(map[string]string{"TOK": "t", "ADMIN_TOKEN": "secret-value"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminToken != "$ADMIN_TOKEN" {
		t.Errorf("admin_token = %q, want it as written", cfg.AdminToken)
	}
	if len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], "admin_token: ") || !strings.Contains(cfg.Warnings[0], "${NAME}") {
		t.Errorf("warnings = %q, want one naming admin_token (\"${TOK}x$1\" is not a name)", cfg.Warnings)
	}
	if strings.Contains(strings.Join(cfg.Warnings, "\n"), "secret-value") {
		t.Error("a warning holds a value")
	}
}
