package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/internal/problem"
)

// requireAdminUI guards /admin, where browser UIs such as asynqmon live. A
// browser cannot attach a bearer token to the requests a single-page app
// makes, so besides "Authorization: Bearer <token>" it accepts HTTP Basic
// with the admin token as the password (any user name) and challenges
// with Basic, which makes the browser ask once and resend the credentials
// itself. Because a browser also resends them on requests other sites
// trigger, unsafe methods coming from another origin are refused (403).
func requireAdminUI(token string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(token))
	crossOrigin := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		r := c.Request
		ok := token != "" && bearerMatches(r.Header.Get("Authorization"), &want)
		if !ok && token != "" {
			if _, pw, basic := r.BasicAuth(); basic {
				got := sha256.Sum256([]byte(pw))
				ok = subtle.ConstantTimeCompare(got[:], want[:]) == 1
			}
		}
		if !ok {
			c.Writer.Header()["Www-Authenticate"] = []string{`Basic realm="cancelsync admin", charset="UTF-8"`, "Bearer"}
			problem.Write(c, http.StatusUnauthorized, problem.Unauthorized, "the admin token is required (bearer, or basic auth with it as the password)")
			return
		}
		if err := crossOrigin.Check(r); err != nil {
			problem.Write(c, http.StatusForbidden, problem.Forbidden, "cross-origin request refused")
			return
		}
		c.Next()
	}
}

// NewOpsRouter serves only GET /healthz, /readyz and /metrics: the
// endpoints a scraper or an orchestrator's probes need, for a separate
// listener (metrics_listen) and for worker processes, which take no
// webhooks. ready may be nil (always ready).
func NewOpsRouter(ready Pinger, g prometheus.Gatherer, log *slog.Logger) http.Handler {
	o := Options{Ready: ready, Gatherer: g, Logger: log}.withDefaults()
	r := newEngine()
	r.Use(recovery(o.Logger), requestID)
	r.NoRoute(func(c *gin.Context) {
		problem.Write(c, http.StatusNotFound, problem.NotFound, "no such route")
	})
	mountProbes(r, o)
	return r
}
