package webhooks

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/adapters"
)

// Problem types. Every error answer is an RFC 9457 application/problem+json
// document whose "type" is one of these stable URIs:
//
//	https://cancelsync.dev/problems/invalid-payload         400 malformed JSON, failed validation, wrong type; has "errors"
//	https://cancelsync.dev/problems/invalid-signature       401 missing or wrong webhook signature headers
//	https://cancelsync.dev/problems/invalid-timestamp       401 webhook timestamp outside the tolerance
//	https://cancelsync.dev/problems/unauthorized            401 missing or wrong admin bearer token
//	https://cancelsync.dev/problems/unknown-adapter         404 no adapter with that id
//	https://cancelsync.dev/problems/not-found               404 unknown route or order
//	https://cancelsync.dev/problems/method-not-allowed      405 (with Allow)
//	https://cancelsync.dev/problems/payload-too-large       413 body over max_body_bytes
//	https://cancelsync.dev/problems/unsupported-media-type  415 content type not JSON
//	https://cancelsync.dev/problems/unavailable             503 enqueue or store failed, not ready (Retry-After on ingest and read API)
//	https://cancelsync.dev/problems/internal                500 a bug; the log has the stack
//
// A problem never carries a secret, a header value or any of the body.
const problemBase = "https://cancelsync.dev/problems/"

type problemKind struct {
	uri   string
	title string
}

var (
	probInvalidPayload   = problemKind{problemBase + "invalid-payload", "Invalid payload"}
	probInvalidSignature = problemKind{problemBase + "invalid-signature", "Invalid signature"}
	probInvalidTimestamp = problemKind{problemBase + "invalid-timestamp", "Invalid timestamp"}
	probUnauthorized     = problemKind{problemBase + "unauthorized", "Unauthorized"}
	probUnknownAdapter   = problemKind{problemBase + "unknown-adapter", "Unknown adapter"}
	probNotFound         = problemKind{problemBase + "not-found", "Not found"}
	probMethodNotAllowed = problemKind{problemBase + "method-not-allowed", "Method not allowed"}
	probTooLarge         = problemKind{problemBase + "payload-too-large", "Payload too large"}
	probMediaType        = problemKind{problemBase + "unsupported-media-type", "Unsupported media type"}
	probUnavailable      = problemKind{problemBase + "unavailable", "Service unavailable"}
	probInternal         = problemKind{problemBase + "internal", "Internal server error"}
)

type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []adapters.FieldError `json:"errors,omitempty"`
}

var (
	contentTypeJSON    = []string{"application/json"}
	contentTypeProblem = []string{"application/problem+json"}
)

// writeProblem answers status with a problem document and stops the chain.
func writeProblem(c *gin.Context, status int, k problemKind, detail string) {
	writeProblemErrors(c, status, k, detail, nil)
}

func writeProblemErrors(c *gin.Context, status int, k problemKind, detail string, errs []adapters.FieldError) {
	b, err := json.Marshal(problem{Type: k.uri, Title: k.title, Status: status, Detail: detail, Errors: errs})
	if err != nil { // only strings and ints: cannot happen
		b = []byte(`{"type":"about:blank","status":500}`)
	}
	c.Writer.Header()["Content-Type"] = contentTypeProblem
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(b)
	c.Abort()
}

// writeJSON answers status with a JSON body and stops the chain.
func writeJSON(c *gin.Context, status int, body []byte) {
	c.Writer.Header()["Content-Type"] = contentTypeJSON
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(body)
	c.Abort()
}
