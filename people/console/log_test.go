package console_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// Every console request is logged at info with its status and, when
// refused, why, though the caller gets the same 401 or 404 whatever the
// reason; no token reaches the log.
func TestRequestsAreLoggedWithTheReason(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	lastLine := func(t *testing.T, before int) (rec struct {
		Level, Msg, Route, Adapter, Reason string
		Status                             int
	}, line string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(r.logs.String()[before:]), "\n")
		line = lines[len(lines)-1]
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log %q: %v", r.logs.String()[before:], err)
		}
		return rec, line
	}
	tests := []struct {
		name, path, token string
		status            int
		reason            string
	}{
		{"admin reads", "/v1/adapters/shop-a/stats", adminToken, 200, ""},
		{"no token", "/v1/adapters/shop-a/stats", "", 401, "no_token"},
		{"wrong token", "/v1/adapters/shop-a/stats", "tok-wrong", 401, "bad_token"},
		{"merchant on another adapter", "/v1/adapters/shop-b/stats", "tok-a", 404, "adapter_not_in_scope"},
		{"merchant on an unknown adapter", "/v1/adapters/shop-x/stats", "tok-a", 404, "unknown_adapter"},
		{"admin on an unknown adapter", "/v1/adapters/shop-x/stats", adminToken, 404, "unknown_adapter"},
		{"bad parameter", "/v1/adapters/shop-a/cancellations?state=lost", adminToken, 400, "invalid_parameter"},
	}
	for _, tc := range tests {
		before := len(r.logs.String())
		status, body := r.do(t, "GET", tc.path, tc.token, "")
		if status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
		}
		if tc.reason != "" && strings.Contains(body, tc.reason) {
			t.Errorf("%s: the answer tells the reason: %s", tc.name, body)
		}
		rec, line := lastLine(t, before)
		if rec.Level != "INFO" || rec.Msg != "console" || rec.Status != tc.status || rec.Reason != tc.reason {
			t.Errorf("%s: log line %s, want status %d reason %q", tc.name, line, tc.status, tc.reason)
		}
	}

	// The sign-in form: a wrong token is logged as such, and not the token.
	b := newBrowser(t, r)
	_, page := b.get("/console/")
	before := len(r.logs.String())
	if res, _ := b.post("/console/sign-in", url.Values{"csrf": {csrfOf(t, page)}, "token": {"tok-wrong-secret"}}); res.StatusCode != 401 {
		t.Fatalf("sign-in with a wrong token: %d", res.StatusCode)
	}
	if rec, line := lastLine(t, before); rec.Status != 401 || rec.Reason != "bad_token" || rec.Route != "/console/sign-in" {
		t.Errorf("sign-in log line %s, want 401 bad_token", line)
	}
	for _, secret := range []string{adminToken, "tok-a", "tok-wrong", "Bearer"} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the log carries %q", secret)
		}
	}
}
