package webhooks

import (
	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/platform"
)

// Every error answer is a problem+json document; the types, their URIs and
// the writer live in internal/problem, shared with the router (httpapi),
// the storefront and the console. These names keep this package's call
// sites short.
type problemKind = problem.Kind

var (
	probInvalidPayload   = problem.InvalidPayload
	probInvalidSignature = problem.InvalidSignature
	probInvalidTimestamp = problem.InvalidTimestamp
	probUnknownAdapter   = problem.UnknownAdapter
	probNotFound         = problem.NotFound
	probTooLarge         = problem.TooLarge
	probMediaType        = problem.MediaType
	probUnavailable      = problem.Unavailable
)

// writeProblem answers status with a problem document and stops the chain.
func writeProblem(c *gin.Context, status int, k problemKind, detail string) {
	problem.Write(c, status, k, detail)
}

func writeProblemErrors(c *gin.Context, status int, k problemKind, detail string, errs []platform.FieldError) {
	problem.Write(c, status, k, detail, errs...)
}

// writeJSON answers status with a JSON body and stops the chain.
func writeJSON(c *gin.Context, status int, body []byte) {
	problem.WriteJSON(c, status, body)
}
