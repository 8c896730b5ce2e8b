// Package accesslog writes one line per request of the edges that serve
// people (the buyers' storefront, the merchants' console), at info: the
// route, the adapter and order in the path, the status and, for a refused
// request, the reason. The reason is for the operator only: the caller's
// answer stays as vague as it must (a buyer asking about another buyer's
// order gets the same 404 as for an unknown one). Tokens, cookies, form
// values and query strings are never logged.
package accesslog

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

const reasonKey = "accesslog.reason"

// maxParam caps a path parameter in the log: it is the caller's input.
const maxParam = 64

// HeaderRequestID is the request id's header, in canonical form, so the
// header map can be indexed directly.
const HeaderRequestID = "X-Request-Id"

// RequestID is the request's id as the router (httpapi) set it on the
// response before the handlers ran, or "" when nothing set one.
func RequestID(c *gin.Context) string {
	if v := c.Writer.Header()[HeaderRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Refuse records why the request is refused, for its log line. The last
// call wins.
func Refuse(c *gin.Context, reason string) { c.Set(reasonKey, reason) }

// Handler logs each request that runs through it, under msg, once the rest
// of the chain has answered.
func Handler(log *slog.Logger, msg string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		Write(c, log, msg, time.Since(start))
	}
}

// Write logs c's request now: for a refusal made before Handler's place in
// the chain (an authorization middleware). 5xx answers are warnings, the
// rest info.
func Write(c *gin.Context, log *slog.Logger, msg string, latency time.Duration) {
	status := c.Writer.Status()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	ctx := c.Request.Context()
	if !log.Enabled(ctx, level) {
		return
	}
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("method", c.Request.Method), slog.String("route", route))
	if a := c.Param("adapter"); a != "" {
		attrs = append(attrs, slog.String("adapter", truncate(a)))
	}
	if o := c.Param("order_id"); o != "" {
		attrs = append(attrs, slog.String("order_id", truncate(o)))
	}
	attrs = append(attrs, slog.Int("status", status))
	if r, ok := c.Get(reasonKey); ok {
		attrs = append(attrs, slog.Any("reason", r))
	}
	attrs = append(attrs,
		slog.String("request_id", RequestID(c)),
		slog.Duration("latency", latency))
	log.LogAttrs(ctx, level, msg, attrs...)
}

func truncate(s string) string {
	if len(s) > maxParam {
		return s[:maxParam]
	}
	return s
}
