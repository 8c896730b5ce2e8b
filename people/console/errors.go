package console

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gin-gonic/gin"
)

// pageErrors makes every answer under /console a console page with its
// framing headers (docs/OPERATIONS.md, "For merchants"), errors included:
// a path no route takes (an order id with an escaped slash, a typo) or a
// method a route does not take is an HTML page, not the API's
// problem+json, and so is a panic in a page. Other paths pass untouched.
func (c *Console) pageErrors(ctx *gin.Context) {
	if p := ctx.Request.URL.Path; p != "/console" && !strings.HasPrefix(p, "/console/") {
		ctx.Next()
		return
	}
	setSecurityHeaders(ctx.Writer.Header())
	if ctx.FullPath() == "" {
		// No route: gin has already chosen 404 or 405 (with Allow).
		status := ctx.Writer.Status()
		v := view{Title: "Not found", Error: "There is nothing here, or it is not yours to see."}
		if status == http.StatusMethodNotAllowed {
			v = view{Title: "Not allowed", Error: "This page does not take that method."}
		}
		c.render(ctx, status, "message.html", v)
		return
	}
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v) // net/http's way to drop the connection quietly
		}
		c.o.Logger.LogAttrs(ctx.Request.Context(), slog.LevelError, "console panic",
			slog.Any("panic", v), slog.String("route", ctx.FullPath()), slog.String("stack", string(debug.Stack())))
		if !ctx.Writer.Written() {
			c.render(ctx, http.StatusInternalServerError, "message.html", view{Title: "Internal error", Error: "Something went wrong on our side. Try again."})
		}
		ctx.Abort()
	}()
	ctx.Next()
}
