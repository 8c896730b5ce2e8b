package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// RequireAdmin lets a request through only with "Authorization: Bearer
// <token>". An empty token refuses everyone, so a missing admin_token can
// never open the admin surface. Refusals are 401 problem+json with
// WWW-Authenticate: Bearer.
func RequireAdmin(token string) gin.HandlerFunc {
	// Comparing digests keeps the comparison constant-time in the length
	// of the presented token too.
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		if token == "" || !bearerMatches(c.Request.Header.Get("Authorization"), &want) {
			c.Writer.Header().Set("WWW-Authenticate", "Bearer")
			problem.Write(c, http.StatusUnauthorized, problem.Unauthorized, "a valid bearer token is required")
			return
		}
		c.Next()
	}
}

func bearerMatches(auth string, want *[sha256.Size]byte) bool {
	const scheme = "bearer "
	if len(auth) <= len(scheme) || !strings.EqualFold(auth[:len(scheme)], scheme) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(auth[len(scheme):])))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// adminPaths applies RequireAdmin to every path under /v1 and
// requireAdminUI to every path under /admin, including routes that
// the people's packages mount and paths that match no route, so an unauthenticated
// caller learns nothing about what exists there. v1, when set, replaces the
// admin check on /v1 (scoped merchant tokens). Nobody may frame /admin.
func adminPaths(token string, v1 gin.HandlerFunc) gin.HandlerFunc {
	api, ui := RequireAdmin(token), requireAdminUI(token)
	if v1 != nil {
		api = v1
	}
	return func(c *gin.Context) {
		switch p := c.Request.URL.Path; {
		case hasSegmentPrefix(p, "/v1"):
			api(c)
		case hasSegmentPrefix(p, "/admin"):
			// Its write actions are one click away: nobody may frame it.
			h := c.Writer.Header()
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "frame-ancestors 'none'")
			ui(c)
		}
	}
}

// hasSegmentPrefix reports whether p is prefix or lies below it.
func hasSegmentPrefix(p, prefix string) bool {
	return strings.HasPrefix(p, prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/')
}

// reader serves the read API (docs/API.md §6). The admin token is checked by
// adminPaths before it runs.
type reader struct {
	adapter func(id string) (*platform.Adapter, bool)
	views   OrderViews
	log     *slog.Logger
}

func (rd *reader) orderView(c *gin.Context) {
	adapterID := c.Param("adapter")
	if _, ok := rd.adapter(adapterID); !ok {
		problem.Write(c, http.StatusNotFound, problem.UnknownAdapter, "no adapter with this id")
		return
	}
	v, err := rd.views.OrderView(c.Request.Context(), adapterID, c.Param("order_id"))
	switch {
	case errors.Is(err, orderstore.ErrNotFound):
		problem.Write(c, http.StatusNotFound, problem.NotFound, "no snapshot or cancellation known for this order")
		return
	case err != nil:
		rd.log.LogAttrs(c.Request.Context(), slog.LevelError, "order view",
			slog.String("adapter", adapterID), slog.String("error", err.Error()),
			slog.String("request_id", accesslog.RequestID(c)))
		c.Writer.Header().Set("Retry-After", problem.RetryAfterUnavailable)
		problem.Write(c, http.StatusServiceUnavailable, problem.Unavailable, "order store unavailable")
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data types: a bug, answered 500 by recovery
	}
	problem.WriteJSON(c, http.StatusOK, b)
}
