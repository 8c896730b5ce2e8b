package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/problem"
)

// Every error answer is a problem+json document; the types, their URIs and
// the writer live in internal/problem, shared with ingest (webhooks), the
// storefront and the console. These names keep this package's call sites
// short.
const problemBase = problem.Base

type problemKind = problem.Kind

var (
	probUnauthorized     = problem.Unauthorized
	probForbidden        = problem.Forbidden
	probUnknownAdapter   = problem.UnknownAdapter
	probNotFound         = problem.NotFound
	probMethodNotAllowed = problem.MethodNotAllowed
	probUnavailable      = problem.Unavailable
	probInternal         = problem.Internal
)

// writeProblem answers status with a problem document and stops the chain.
func writeProblem(c *gin.Context, status int, k problemKind, detail string) {
	problem.Write(c, status, k, detail)
}

// writeJSON answers status with a JSON body and stops the chain.
func writeJSON(c *gin.Context, status int, body []byte) {
	problem.WriteJSON(c, status, body)
}
