package storefront

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/adapters"
)

// Problem types of the storefront answers: the same stable URIs as the
// rest of the API (webhooks/problem.go), plus rate-limited.
const problemBase = "https://cancelsync.dev/problems/"

type problemKind struct {
	uri   string
	title string
}

var (
	probInvalidPayload = problemKind{problemBase + "invalid-payload", "Invalid payload"}
	probUnauthorized   = problemKind{problemBase + "unauthorized", "Unauthorized"}
	probNotFound       = problemKind{problemBase + "not-found", "Not found"}
	probMediaType      = problemKind{problemBase + "unsupported-media-type", "Unsupported media type"}
	probTooLarge       = problemKind{problemBase + "payload-too-large", "Payload too large"}
	probRateLimited    = problemKind{problemBase + "rate-limited", "Too many requests"}
	probUnavailable    = problemKind{problemBase + "unavailable", "Service unavailable"}
)

type problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []adapters.FieldError `json:"errors,omitempty"`
}

func writeProblem(c *gin.Context, status int, k problemKind, detail string, errs ...adapters.FieldError) {
	b, err := json.Marshal(problem{Type: k.uri, Title: k.title, Status: status, Detail: detail, Errors: errs})
	if err != nil { // strings and ints only: cannot happen
		b = []byte(`{"type":"about:blank","status":500}`)
	}
	c.Writer.Header()["Content-Type"] = []string{"application/problem+json"}
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(b)
	c.Abort()
}

func writeJSON(c *gin.Context, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data types: a bug, answered 500 by the router's recovery
	}
	c.Writer.Header()["Content-Type"] = []string{"application/json"}
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(b)
	c.Abort()
}

// notFound is the one answer for an unknown adapter, an adapter without a
// storefront, an unknown order and another buyer's order: a caller can't
// tell them apart, so nobody learns that an order exists.
func notFound(c *gin.Context) {
	writeProblem(c, http.StatusNotFound, probNotFound, "no such order")
}
