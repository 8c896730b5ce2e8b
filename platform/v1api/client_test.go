package v1api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1api"
)

const testToken = "tok_live_5ecr3t-9f8e7d6c5b4a"

// recorded is what the fake platform saw of one request.
type recorded struct {
	method, path, rawPath string
	header                http.Header
	body                  string
}

// fakeAPI is a fake platform API: a real HTTP server that records every
// request and answers with respond.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	conns    atomic.Int32
}

func newPlatform(t *testing.T, respond http.HandlerFunc) *fakeAPI {
	t.Helper()
	p := &fakeAPI{}
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.requests = append(p.requests, recorded{r.Method, r.URL.Path, r.URL.RawPath, r.Header.Clone(), string(body)})
		p.mu.Unlock()
		respond(w, r)
	}))
	p.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.conns.Add(1)
		}
	}
	p.Start()
	t.Cleanup(p.Close)
	return p
}

func (p *fakeAPI) last(t *testing.T) recorded {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.requests) == 0 {
		t.Fatal("platform saw no request")
	}
	return p.requests[len(p.requests)-1]
}

// statusRetryAfter answers code with the Retry-After header v.
func statusRetryAfter(code int, v string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", v)
		w.WriteHeader(code)
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

func cancelledUpdate() platform.Update {
	return platform.Update{
		OrderID: "PM-10023", RequestID: "cr-881", State: platform.Cancelled, Version: 1,
		Reason: "changed_mind",
		Refund: &platform.Refund{Method: platform.PlatformCredit, Amount: "42.50", Currency: "USD"},
	}
}

func newClient(baseURL string, timeout time.Duration) platform.Client {
	return v1api.NewClient(platform.API{BaseURL: baseURL, Token: testToken, Timeout: timeout})
}

func TestPushRequest(t *testing.T) {
	t.Parallel()
	respondBy := time.Date(2026, 11, 22, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name     string
		base     string // appended to the server URL
		update   platform.Update
		wantPath string
		wantBody string
	}{
		{
			name:     "cancelled, as in the contract",
			update:   cancelledUpdate(),
			wantPath: "/orders/PM-10023/cancellation",
			wantBody: `{"order_id":"PM-10023","request_id":"cr-881","state":"cancelled","version":1,` +
				`"reason":"changed_mind","denial_reason":null,"respond_by":null,` +
				`"refund":{"method":"platform_credit","amount":"42.50","currency":"USD"},` +
				`"affects_seller_stats":false,"lines":null}`,
		},
		{
			name: "some lines cancelled",
			update: func() platform.Update {
				u := cancelledUpdate()
				a := "12.50"
				u.Refund.Amount, u.Lines = a, []platform.Line{{LineID: "li-2", Quantity: 1, RefundAmount: &a}}
				return u
			}(),
			wantPath: "/orders/PM-10023/cancellation",
			wantBody: `{"order_id":"PM-10023","request_id":"cr-881","state":"cancelled","version":1,` +
				`"reason":"changed_mind","denial_reason":null,"respond_by":null,` +
				`"refund":{"method":"platform_credit","amount":"12.50","currency":"USD"},` +
				`"affects_seller_stats":false,"lines":[{"line_id":"li-2","quantity":1,"refund_amount":"12.50"}]}`,
		},
		{
			name: "pending with respond_by in UTC",
			update: platform.Update{OrderID: "o.1:x", RequestID: "r1", State: platform.PendingResponse, Version: 3,
				Reason: "other", RespondBy: &respondBy},
			wantPath: "/orders/o.1:x/cancellation",
			wantBody: `{"order_id":"o.1:x","request_id":"r1","state":"pending_response","version":3,` +
				`"reason":"other","denial_reason":null,"respond_by":"2026-11-22T11:00:00Z",` +
				`"refund":null,"affects_seller_stats":false,"lines":null}`,
		},
		{
			name: "denied, base_url with a path and a trailing slash",
			base: "/api/v2/",
			update: platform.Update{OrderID: "o1", RequestID: "r1", State: platform.Denied, Version: 2,
				Reason: "changed_mind", DenialReason: platform.WindowExpired, AffectsSellerStats: true},
			wantPath: "/api/v2/orders/o1/cancellation",
			wantBody: `{"order_id":"o1","request_id":"r1","state":"denied","version":2,` +
				`"reason":"changed_mind","denial_reason":"window_expired","respond_by":null,` +
				`"refund":null,"affects_seller_stats":true,"lines":null}`,
		},
		{
			name:     "order id that needs escaping",
			update:   platform.Update{OrderID: "a/b c", RequestID: "r1", State: platform.Withdrawn, Version: 4},
			wantPath: "/orders/a/b c/cancellation",
			wantBody: `{"order_id":"a/b c","request_id":"r1","state":"withdrawn","version":4,` +
				`"reason":"","denial_reason":null,"respond_by":null,"refund":null,"affects_seller_stats":false,"lines":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPlatform(t, status(http.StatusOK))
			key := platform.IdempotencyKey("acme-posh", tt.update)
			if err := newClient(p.URL+tt.base, time.Second).Push(context.Background(), key, tt.update); err != nil {
				t.Fatalf("Push: %v", err)
			}
			r := p.last(t)
			if r.method != http.MethodPut || r.path != tt.wantPath {
				t.Fatalf("request = %s %s, want PUT %s", r.method, r.path, tt.wantPath)
			}
			if r.body != tt.wantBody {
				t.Fatalf("body =\n%s\nwant\n%s", r.body, tt.wantBody)
			}
			for name, want := range map[string]string{
				"Authorization":   "Bearer " + testToken,
				"Idempotency-Key": key,
				"Content-Type":    "application/json",
			} {
				if got := r.header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
	t.Run("slash in order id stays one path segment", func(t *testing.T) {
		t.Parallel()
		p := newPlatform(t, status(http.StatusOK))
		u := platform.Update{OrderID: "a/b", RequestID: "r1", State: platform.Withdrawn, Version: 1}
		if err := newClient(p.URL, time.Second).Push(context.Background(), "k", u); err != nil {
			t.Fatal(err)
		}
		if r := p.last(t); r.rawPath != "/orders/a%2Fb/cancellation" {
			t.Fatalf("raw path = %q", r.rawPath)
		}
	})
}

func TestPushStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		respond    http.HandlerFunc
		want       *platform.SyncError // nil: success; Msg is matched as a prefix
		retryAfter [2]time.Duration    // inclusive bounds when non-zero
	}{
		{name: "200", respond: status(http.StatusOK)},
		{name: "201 with a body", respond: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"ok":true}`)
		}},
		{name: "204", respond: status(http.StatusNoContent)},
		{name: "503 with a reason", respond: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "maintenance\nback soon", http.StatusServiceUnavailable)
		}, want: &platform.SyncError{Retryable: true, Msg: "HTTP 503: Service Unavailable: maintenance back soon"}},
		{name: "500", respond: status(http.StatusInternalServerError),
			want: &platform.SyncError{Retryable: true, Msg: "HTTP 500: Internal Server Error"}},
		{name: "408", respond: status(http.StatusRequestTimeout),
			want: &platform.SyncError{Retryable: true, Msg: "HTTP 408: Request Timeout"}},
		{name: "429 with Retry-After seconds", respond: statusRetryAfter(http.StatusTooManyRequests, "7"),
			want:       &platform.SyncError{Retryable: true, Msg: "HTTP 429: Too Many Requests"},
			retryAfter: [2]time.Duration{7 * time.Second, 7 * time.Second}},
		{name: "429 with Retry-After date", respond: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", time.Now().Add(2*time.Minute).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		}, want: &platform.SyncError{Retryable: true, Msg: "HTTP 429: Too Many Requests"},
			retryAfter: [2]time.Duration{time.Minute + 55*time.Second, 2 * time.Minute}},
		{name: "503 with Retry-After in the past", respond: statusRetryAfter(http.StatusServiceUnavailable, "Wed, 21 Oct 2015 07:28:00 GMT"),
			want: &platform.SyncError{Retryable: true, Msg: "HTTP 503: Service Unavailable"}},
		{name: "503 with malformed Retry-After", respond: statusRetryAfter(http.StatusServiceUnavailable, "soon"),
			want: &platform.SyncError{Retryable: true, Msg: "HTTP 503: Service Unavailable"}},
		{name: "503 with an absurd Retry-After", respond: statusRetryAfter(http.StatusServiceUnavailable, "99999999999999999999999"),
			want:       &platform.SyncError{Retryable: true, Msg: "HTTP 503: Service Unavailable"},
			retryAfter: [2]time.Duration{365 * 24 * time.Hour, 365 * 24 * time.Hour}},
		{name: "503 with a negative Retry-After", respond: statusRetryAfter(http.StatusServiceUnavailable, "-5"),
			want: &platform.SyncError{Retryable: true, Msg: "HTTP 503: Service Unavailable"}},
		{name: "400 is permanent", respond: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"unknown state"}`)
		}, want: &platform.SyncError{Msg: `HTTP 400: Bad Request: {"error":"unknown state"}`}},
		{name: "404 is permanent", respond: status(http.StatusNotFound),
			want: &platform.SyncError{Msg: "HTTP 404: Not Found"}},
		{name: "409 is permanent", respond: status(http.StatusConflict),
			want: &platform.SyncError{Msg: "HTTP 409: Conflict"}},
		{name: "redirect is not followed", respond: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}, want: &platform.SyncError{Msg: "HTTP 302: Found"}},
		{name: "long body is cut", respond: func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, strings.Repeat("é", 5000))
		}, want: &platform.SyncError{Retryable: true, Msg: "HTTP 502: Bad Gateway: " + strings.Repeat("é", 100) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPlatform(t, tt.respond)
			err := newClient(p.URL, time.Second).Push(context.Background(), "k", cancelledUpdate())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Push: %v", err)
				}
				return
			}
			var se *platform.SyncError
			if !errors.As(err, &se) {
				t.Fatalf("Push error = %#v, want a *SyncError", err)
			}
			if se.Retryable != tt.want.Retryable || se.Msg != tt.want.Msg {
				t.Fatalf("Push error = %+v, want %+v", *se, *tt.want)
			}
			lo, hi := tt.retryAfter[0], tt.retryAfter[1]
			if se.RetryAfter < lo || se.RetryAfter > hi {
				t.Fatalf("RetryAfter = %v, want within [%v, %v]", se.RetryAfter, lo, hi)
			}
		})
	}
}

func TestPushWithoutResponse(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		p := newPlatform(t, status(http.StatusOK))
		url := p.URL
		p.Close()
		assertRetryableNoStatus(t, newClient(url, time.Second).Push(context.Background(), "k", cancelledUpdate()))
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		p := newPlatform(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		start := time.Now()
		err := newClient(p.URL, 200*time.Millisecond).Push(context.Background(), "k", cancelledUpdate())
		assertRetryableNoStatus(t, err)
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("Push took %v with a 200ms timeout", elapsed)
		}
		if !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("error %q does not say it timed out", err)
		}
	})
	t.Run("caller gives up", func(t *testing.T) {
		t.Parallel()
		p := newPlatform(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		assertRetryableNoStatus(t, newClient(p.URL, 10*time.Second).Push(ctx, "k", cancelledUpdate()))
	})
}

func assertRetryableNoStatus(t *testing.T, err error) {
	t.Helper()
	var se *platform.SyncError
	if !errors.As(err, &se) {
		t.Fatalf("Push error = %#v, want a *SyncError", err)
	}
	if !se.Retryable || strings.HasPrefix(se.Msg, "HTTP ") {
		t.Fatalf("Push error = %+v, want retryable with status 0", *se)
	}
}

func TestPushNeverRevealsCredentials(t *testing.T) {
	t.Parallel()
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = io.WriteString(w, strings.Repeat("x", 190)+" you sent "+r.Header.Get("Authorization"))
		}
	}
	for _, code := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable} {
		p := newPlatform(t, echo(code))
		err := newClient(p.URL, time.Second).Push(context.Background(), "k", cancelledUpdate())
		if err == nil || strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testToken[:12]) {
			t.Fatalf("HTTP %d: error %q reveals the token", code, err)
		}
	}
	// The token read only in part, with whitespace before it that the
	// snippet collapses: what was read of it must not surface either.
	for pad := range 40 {
		p := newPlatform(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, strings.Repeat(" ", 190+pad)+r.Header.Get("Authorization"))
		})
		err := newClient(p.URL, time.Second).Push(context.Background(), "k", cancelledUpdate())
		if err == nil || strings.Contains(err.Error(), testToken[:4]) {
			t.Fatalf("pad %d: error %q reveals part of the token", pad, err)
		}
	}

	p := newPlatform(t, status(http.StatusOK))
	withUser := strings.Replace(p.URL, "http://", "http://acme:pa55w0rd-xyz@", 1)
	p.Close()
	err := v1api.NewClient(platform.API{BaseURL: withUser, Token: testToken, Timeout: time.Second}).
		Push(context.Background(), "k", cancelledUpdate())
	if err == nil || strings.Contains(err.Error(), "pa55w0rd") || strings.Contains(err.Error(), "acme:") || strings.Contains(err.Error(), testToken) {
		t.Fatalf("error %q reveals credentials", err)
	}

	err = v1api.NewClient(platform.API{BaseURL: "http://acme:pa55w0rd-xyz@bad host/", Token: testToken}).
		Push(context.Background(), "k", cancelledUpdate())
	var se *platform.SyncError
	if !errors.As(err, &se) || se.Retryable || strings.Contains(err.Error(), "pa55w0rd") {
		t.Fatalf("invalid base_url: error %#v", err)
	}
}

// Bodies are drained and closed, so sequential pushes share one connection
// whatever the platform answers.
func TestPushReusesConnections(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	p := newPlatform(t, func(w http.ResponseWriter, _ *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, strings.Repeat("ok", 4000))
		case 1:
			http.Error(w, strings.Repeat("busy ", 2000), http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c := newClient(p.URL, time.Second)
	for range 9 {
		_ = c.Push(context.Background(), "k", cancelledUpdate())
	}
	if got := p.conns.Load(); got != 1 {
		t.Fatalf("9 pushes opened %d connections, want 1", got)
	}
}
