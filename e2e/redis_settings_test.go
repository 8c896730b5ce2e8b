package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
)

// A real Redis without appendonly and with an evicting policy: serve still
// starts and is ready, but says so at start, in /readyz's body (200) and in
// config check; with CONFIG renamed away (managed Redis) it says it could
// not check, and still starts.
func TestRedisSettingsAreWarnedNotFatal(t *testing.T) {
	t.Parallel()
	readyz := func(t *testing.T, s *service) (int, []string) {
		t.Helper()
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body struct {
			Status   string   `json:"status"`
			Warnings []string `json:"warnings"`
		}
		if err := json.Unmarshal(raw, &body); err != nil || body.Status != "ok" {
			t.Fatalf("readyz body %s: %v", raw, err)
		}
		return resp.StatusCode, body.Warnings
	}

	t.Run("appendonly off, allkeys-lru", func(t *testing.T) {
		t.Parallel()
		rs := redistest.Start(t, redistest.Options{Args: []string{"--maxmemory-policy", "allkeys-lru"}})
		cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: "acme-self", platform: "selfservice", baseURL: "http://127.0.0.1:9"}}, "")

		code, out := runCLI(t, "config", "check", "--config", cfg)
		if code != 0 || !strings.Contains(out, "warning: redis appendonly is no:") || !strings.Contains(out, "warning: redis maxmemory-policy is allkeys-lru:") {
			t.Errorf("config check: %d\n%s", code, out)
		}

		s := start(t, "serve", cfg, listen)
		code, warnings := readyz(t, s)
		if code != http.StatusOK || len(warnings) != 2 ||
			!strings.HasPrefix(warnings[0], "redis appendonly is no:") || !strings.HasPrefix(warnings[1], "redis maxmemory-policy is allkeys-lru:") {
			t.Errorf("readyz = %d %q, want 200 with both warnings", code, warnings)
		}
		var startWarns int
		if !poll(10*time.Second, 20*time.Millisecond, func() bool {
			startWarns = 0
			for _, rec := range opsLogLines(t, s.out.String()) {
				if msg, _ := rec["msg"].(string); rec["level"] == "WARN" && strings.HasPrefix(msg, "redis ") {
					startWarns++
				}
			}
			return startWarns == 2
		}) {
			t.Errorf("%d WARN lines about redis at start, want 2:\n%s", startWarns, s.out.String())
		}
		// Fixed at runtime, the warnings go with the next probe.
		rdb := rs.Client()
		if err := rdb.ConfigSet(t.Context(), "appendonly", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.ConfigSet(t.Context(), "maxmemory-policy", "noeviction").Err(); err != nil {
			t.Fatal(err)
		}
		if code, warnings := readyz(t, s); code != http.StatusOK || len(warnings) != 0 {
			t.Errorf("readyz after the fix = %d %q, want 200 and no warning", code, warnings)
		}
	})

	t.Run("CONFIG renamed away", func(t *testing.T) {
		t.Parallel()
		rs := redistest.Start(t, redistest.Options{AppendOnly: true, Args: []string{"--rename-command", "CONFIG", ""}})
		cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: "acme-self", platform: "selfservice", baseURL: "http://127.0.0.1:9"}}, "")
		code, out := runCLI(t, "config", "check", "--config", cfg)
		if code != 0 || !strings.Contains(out, "could not be checked") {
			t.Errorf("config check: %d\n%s", code, out)
		}
		s := start(t, "serve", cfg, listen)
		code, warnings := readyz(t, s)
		if code != http.StatusOK || len(warnings) != 1 || !strings.Contains(warnings[0], "could not be checked") {
			t.Errorf("readyz = %d %q, want 200 with one could-not-check warning", code, warnings)
		}
	})
}
