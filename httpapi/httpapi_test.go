package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cancelsync/cancelsync/docs"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.ready.err = errRedisDown // liveness does not depend on Redis
	resp, body := b.get(t, "/healthz", nil)
	if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id")
	}
}

// The OpenAPI document is served without a token, as built in.
func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.get(t, "/openapi.yaml", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" || !bytes.Equal(body, docs.OpenAPI) {
		t.Errorf("openapi.yaml = %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		resp, body := b.get(t, "/readyz", nil)
		if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok"}` {
			t.Errorf("readyz = %d %s", resp.StatusCode, body)
		}
	})
	// A setting to fix is a warning in the body, not a failure: still 200.
	t.Run("ready with warnings", func(t *testing.T) {
		t.Parallel()
		w := &warningPinger{warnings: []string{"redis appendonly is no: fix it"}}
		b := setup(t, func(o *Options) { o.Ready = w })
		resp, body := b.get(t, "/readyz", nil)
		if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok","warnings":["redis appendonly is no: fix it"]}` {
			t.Errorf("readyz = %d %s", resp.StatusCode, body)
		}
		w.err = errors.New("down")
		resp, body = b.get(t, "/readyz", nil)
		wantProblem(t, resp, body, http.StatusServiceUnavailable, "unavailable")
	})
	t.Run("redis down", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.ready.err = errors.New("dial tcp 10.0.0.7:6379: i/o timeout")
		resp, body := b.get(t, "/readyz", nil)
		wantProblem(t, resp, body, http.StatusServiceUnavailable, "unavailable")
		if strings.Contains(string(body), "10.0.0.7") {
			t.Errorf("readyz leaks the error: %s", body)
		}
	})
}

// warningPinger is a Redis that answers, with settings to fix.
type warningPinger struct {
	err      error
	warnings []string
}

func (w *warningPinger) Ping(context.Context) error { return w.err }

func (w *warningPinger) Warnings(context.Context) []string { return w.warnings }

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.post(t, webhook{Body: orderBody})
	resp, body := b.get(t, "/metrics", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`cancelsync_webhooks_received_total{adapter="acme-posh",kind="orders",status="202"} 1`,
		`cancelsync_webhook_duration_seconds_count{kind="orders"} 1`,
		`cancelsync_webhook_duplicates_total{adapter="acme-posh"} 0`,
		`cancelsync_webhook_auth_failures_total{adapter="acme-posh",reason="signature"} 0`,
		`cancelsync_webhook_auth_failures_total{adapter="acme-posh",reason="timestamp"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	noGatherer := setup(t, func(o *Options) { o.Gatherer = nil })
	resp, body = noGatherer.get(t, "/metrics", nil)
	wantProblem(t, resp, body, http.StatusNotFound, "not-found")
}

func TestNilMetricsCountNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Webhooks.Metrics = nil })
	if resp, body := b.post(t, webhook{Body: orderBody}); resp.StatusCode != http.StatusAccepted {
		t.Errorf("status = %d; %s", resp.StatusCode, body)
	}
	if resp, body := b.post(t, webhook{Body: orderBody, BadSig: true}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d; %s", resp.StatusCode, body)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/nope", "/webhooks/acme-posh/refunds", "/webhooks/acme-posh/orders/"} {
		resp, body := b.post(t, webhook{Path: path, Body: orderBody})
		wantProblem(t, resp, body, http.StatusNotFound, "not-found")
	}
	resp, body := b.get(t, "/webhooks/acme-posh/orders", nil)
	wantProblem(t, resp, body, http.StatusMethodNotAllowed, "method-not-allowed")
	if allow := resp.Header.Get("Allow"); allow != "POST" {
		t.Errorf("Allow = %q, want POST", allow)
	}
	if n := len(b.enq.Accepted()); n != 0 {
		t.Errorf("accepted %d deliveries", n)
	}
}

func TestNewRouterNeedsEnqueuer(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("NewRouter without Webhooks.Enqueuer did not panic")
		}
	}()
	NewRouter(Options{})
}

func TestIngestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"sane", "req-7f3a:1", true},
		{"max length", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"space", "req 1", false},
		{"non-ASCII", "réq", false},
		{"absent", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			h := http.Header{}
			if tc.sent != "" {
				h.Set("X-Request-Id", tc.sent)
			}
			resp, body := b.post(t, webhook{Body: orderBody, Header: h})
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status = %d; %s", resp.StatusCode, body)
			}
			got := resp.Header.Get("X-Request-Id")
			if tc.kept && got != tc.sent {
				t.Errorf("X-Request-Id = %q, want %q", got, tc.sent)
			}
			if !tc.kept && (got == tc.sent || len(got) != 32) {
				t.Errorf("X-Request-Id = %q, want a fresh 32-char id", got)
			}
			if d := b.enq.Accepted(); len(d) != 1 || d[0].RequestID != got {
				t.Errorf("delivery request id differs from %q", got)
			}
		})
	}
}

func TestIngestPanicIs500(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.post(t, webhook{Body: orderBody, Header: http.Header{"X-Test-Panic": {"1"}}})
	wantProblem(t, resp, body, http.StatusInternalServerError, "internal")
	if strings.Contains(string(body), "decoder bug") {
		t.Errorf("500 leaks the panic: %s", body)
	}
	if !strings.Contains(b.logs.String(), "decoder bug") {
		t.Errorf("panic not logged")
	}
	// The server survives.
	if resp, _ := b.post(t, webhook{Body: orderBody}); resp.StatusCode != http.StatusAccepted {
		t.Errorf("after panic: status = %d", resp.StatusCode)
	}
}
