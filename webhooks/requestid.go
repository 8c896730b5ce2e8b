package webhooks

import "github.com/gin-gonic/gin"

// headerRequestID is in canonical form, so the header map can be indexed
// directly.
const headerRequestID = "X-Request-Id"

// requestIDOf is the request's id as the router (httpapi) set it on the
// response before ingest ran, or "" when nothing set one.
func requestIDOf(c *gin.Context) string {
	if v := c.Writer.Header()[headerRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}
