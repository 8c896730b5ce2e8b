package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

func sampleView() *order.OrderView {
	placed := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	state := platform.Cancelled
	return &order.OrderView{
		Adapter: testAdapter, Platform: "poshmark", OrderID: "PM-10023",
		Order: &order.OrderSummary{Status: platform.StatusPaid, PlacedAt: placed, UpdatedAt: placed,
			Total: platform.Money{Amount: "42.50", Currency: "USD"}},
		Cancellation: &order.CancellationView{RequestID: "cr-881", State: platform.Cancelled, Version: 1,
			Initiator: platform.Buyer, Reason: "changed_mind",
			Refund: &platform.Refund{Method: platform.PlatformCredit, Amount: "42.50", Currency: "USD"}},
		Sync:    &order.SyncView{State: "synced", Attempts: 1, Version: 1},
		History: []order.HistoryEntry{{At: placed, Event: platform.CancellationRequested, State: &state}},
	}
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func TestReadAPI(t *testing.T) {
	t.Parallel()
	const path = "/v1/adapters/acme-posh/orders/PM-10023"

	t.Run("200 with the token", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.views.views["acme-posh/PM-10023"] = sampleView()
		for _, h := range []http.Header{bearer(testToken), {"Authorization": {"bearer " + testToken}}} {
			resp, body := b.get(t, path, h)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			want, _ := json.Marshal(sampleView())
			if string(body) != string(want) {
				t.Errorf("body = %s\nwant   %s", body, want)
			}
		}
	})

	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"401 without a token", nil},
		{"401 with a wrong token", bearer("admin-token-124")},
		{"401 with a prefix of the token", bearer(testToken[:5])},
		{"401 with another scheme", http.Header{"Authorization": {"Basic " + testToken}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.views.views["acme-posh/PM-10023"] = sampleView()
			resp, body := b.get(t, path, tc.header)
			wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
			if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", got)
			}
		})
	}

	t.Run("401 for everyone when no admin token is configured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.AdminToken = "" })
		b.views.views["acme-posh/PM-10023"] = sampleView()
		for _, h := range []http.Header{nil, bearer(""), {"Authorization": {"Bearer "}}} {
			resp, body := b.get(t, path, h)
			wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
		}
	})

	t.Run("401 before 404 on an unknown adapter", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		resp, body := b.get(t, "/v1/adapters/nope/orders/PM-1", nil)
		wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	})

	t.Run("404 unknown adapter", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		resp, body := b.get(t, "/v1/adapters/nope/orders/PM-10023", bearer(testToken))
		wantProblem(t, resp, body, http.StatusNotFound, "unknown-adapter")
	})

	t.Run("404 unknown order", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		resp, body := b.get(t, "/v1/adapters/acme-posh/orders/PM-404", bearer(testToken))
		wantProblem(t, resp, body, http.StatusNotFound, "not-found")
	})

	t.Run("503 when the store fails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.views.err = errors.New("redis: connection pool timeout")
		resp, body := b.get(t, path, bearer(testToken))
		wantProblem(t, resp, body, http.StatusServiceUnavailable, "unavailable")
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("no Retry-After")
		}
	})
}

func TestAdminPathsGuardEveryRouteUnderAdmin(t *testing.T) {
	t.Parallel()
	b := guarded(t, testToken, func(r *gin.Engine) {
		r.GET("/admin/queues", func(c *gin.Context) { c.String(http.StatusOK, "queues") })
		r.GET("/administrivia", func(c *gin.Context) { c.String(http.StatusOK, "public") })
	})
	resp, body := b.get(t, "/admin/queues", nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	resp, body = b.get(t, "/admin/queues", bearer("wrong"))
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	// Nothing below /admin is discoverable without the token.
	resp, body = b.get(t, "/admin/no-such-page", nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")

	if resp, body := b.get(t, "/admin/queues", bearer(testToken)); resp.StatusCode != http.StatusOK || string(body) != "queues" {
		t.Errorf("with token: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.get(t, "/administrivia", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/administrivia is not under /admin: %d %s", resp.StatusCode, body)
	}
}

func TestRequireAdminOnAGroup(t *testing.T) {
	t.Parallel()
	b := guarded(t, testToken, func(r *gin.Engine) {
		g := r.Group("/ops", RequireAdmin(testToken))
		g.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	})
	resp, body := b.get(t, "/ops/ping", nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unauthorized")
	if resp, body := b.get(t, "/ops/ping", bearer(testToken)); resp.StatusCode != http.StatusOK {
		t.Errorf("with token: %d %s", resp.StatusCode, body)
	}
}
