// Package console is the merchants' console (docs/OPERATIONS.md, "For
// merchants"): server-rendered pages under /console/ and their JSON twins
// under /v1/adapters/{adapter}/, scoped by token. The admin token sees every
// adapter; an adapter's merchant_tokens see only that adapter, and anything
// else is a 404, so a merchant never learns that another adapter exists.
//
// It decides nothing: what the merchant does and sees (answer a request,
// cancel as the merchant, replay a dead letter, connect, the dashboard) is
// package merchant's, which pages and twins share; this package is the
// HTTP of it: pages, twins, sessions, words.
package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/people/merchant"
	"github.com/cancelsync/cancelsync/platform"
)

// Options wire the console: merchant's options (its Redis keeps the
// sessions too), and what only HTTP needs. Every field but PublicURL,
// Logger and Now is required.
type Options struct {
	merchant.Options
	// AdapterIDs lists the adapters, sorted.
	AdapterIDs func() []string
	// AdminToken returns the current admin_token.
	AdminToken func() string
	// SessionTTL is how long a session lasts (default 12h).
	SessionTTL time.Duration
	Logger     *slog.Logger
}

// Console serves the pages and their JSON twins.
type Console struct {
	o Options
	m *merchant.Merchant // the actions and reads the pages and twins share
}

// New returns a console; it panics on a missing required option, a wiring
// mistake.
func New(o Options) *Console {
	if o.Redis == nil || o.Store == nil || o.Indexes == nil || o.DeadLetters == nil || o.Enqueuer == nil ||
		o.Adapter == nil || o.AdapterIDs == nil || o.AdminToken == nil {
		panic("console: missing option")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Console{o: o, m: merchant.New(o.Options)}
}

// Scope is what a token may see: every adapter, or one.
type Scope struct {
	Admin   bool
	Adapter string
}

// Sees reports whether s may see adapter id.
func (s Scope) Sees(id string) bool { return s.Admin || s.Adapter == id }

// resolve maps a presented token (its SHA-256) to its scope. Digests are
// compared in constant time; an empty configured token grants nothing.
func (c *Console) resolve(sum [sha256.Size]byte) (Scope, bool) {
	if tok := c.o.AdminToken(); tok != "" && equalDigest(sum, tok) {
		return Scope{Admin: true}, true
	}
	for _, id := range c.o.AdapterIDs() {
		ad, ok := c.o.Adapter(id)
		if !ok {
			continue
		}
		for _, tok := range ad.MerchantTokens {
			if tok != "" && equalDigest(sum, tok) {
				return Scope{Adapter: id}, true
			}
		}
	}
	return Scope{}, false
}

func equalDigest(sum [sha256.Size]byte, token string) bool {
	want := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}

// visible lists the adapters s sees.
func (c *Console) visible(s Scope) []string {
	if !s.Admin {
		if _, ok := c.o.Adapter(s.Adapter); ok {
			return []string{s.Adapter}
		}
		return nil
	}
	return c.o.AdapterIDs()
}

// notVisible is the log's reason why s does not get adapter id: the caller
// gets the same 404 either way.
func (c *Console) notVisible(s Scope, id string) string {
	if _, exists := c.o.Adapter(id); exists && !s.Sees(id) {
		return "adapter_not_in_scope"
	}
	return "unknown_adapter"
}

// adapterFor is the adapter id names if s sees it.
func (c *Console) adapterFor(s Scope, id string) (*platform.Adapter, bool) {
	if !s.Sees(id) {
		return nil, false
	}
	return c.o.Adapter(id)
}

// bearer returns the digest of an "Authorization: Bearer" token.
func bearer(r *http.Request) ([sha256.Size]byte, bool) {
	const scheme = "bearer "
	auth := r.Header.Get("Authorization")
	if len(auth) <= len(scheme) || !strings.EqualFold(auth[:len(scheme)], scheme) {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256([]byte(strings.TrimSpace(auth[len(scheme):]))), true
}

const scopeKey = "console.scope"

// V1Auth guards every path under /v1: the admin token passes; a merchant
// token passes on its own adapter's paths (/v1/adapters/{id}/... and the
// /v1/adapters list) and gets 404 anywhere else; any other caller gets 401.
// The router (httpapi) runs it in place of its admin-only check.
func (c *Console) V1Auth() gin.HandlerFunc {
	return func(ctx *gin.Context) {
		sum, ok := bearer(ctx.Request)
		var s Scope
		if ok {
			s, ok = c.resolve(sum)
		}
		if !ok {
			// The route's own log line is never reached: this one says why.
			accesslog.Refuse(ctx, "bad_token")
			if _, sent := bearer(ctx.Request); !sent {
				accesslog.Refuse(ctx, "no_token")
			}
			ctx.Writer.Header().Set("WWW-Authenticate", "Bearer")
			problem.Write(ctx, http.StatusUnauthorized, problem.Unauthorized, "a valid bearer token is required")
			accesslog.Write(ctx, c.o.Logger, "console", 0)
			return
		}
		if !s.Admin {
			seg := strings.Split(strings.TrimPrefix(ctx.Request.URL.Path, "/"), "/")
			// seg: v1, adapters, {id}, ...
			if len(seg) < 2 || seg[1] != "adapters" || len(seg) > 2 && seg[2] != s.Adapter {
				reason := "outside_token_scope"
				if len(seg) > 2 {
					reason = c.notVisible(s, seg[2])
				}
				accesslog.Refuse(ctx, reason)
				problem.Write(ctx, http.StatusNotFound, problem.NotFound, "no such adapter")
				accesslog.Write(ctx, c.o.Logger, "console", 0)
				return
			}
		}
		ctx.Set(scopeKey, s)
		ctx.Next()
	}
}

func scopeOf(ctx *gin.Context) Scope {
	s, _ := ctx.Get(scopeKey)
	sc, _ := s.(Scope)
	return sc
}

// Mount adds the pages under /console and the JSON twins under /v1 to r,
// and makes every other answer under /console a console page (pageErrors):
// gin runs a middleware added with Use for unmatched paths and methods too.
func (c *Console) Mount(r *gin.Engine) {
	r.Use(c.pageErrors)
	c.mountAPI(r)
	c.mountPages(r)
}
