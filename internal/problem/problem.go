// Package problem is the one home of cancelsync's error answers: RFC 9457
// application/problem+json documents with stable type URIs, written the
// same way by the webhook edge, the read API, the storefront and the
// console (docs/API.md, "Errors").
package problem

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/platform"
)

// RetryAfterUnavailable is the Retry-After of every 503 (ingest, the read
// API, the storefront): long enough for a Redis failover, short enough
// that senders do not back off for minutes.
const RetryAfterUnavailable = "5"

// Base prefixes every problem type URI.
const Base = "https://cancelsync.dev/problems/"

// Kind is a problem type: its stable URI and its title.
type Kind struct {
	URI   string
	Title string
}

// The problem types. A problem never carries a secret, a header value or
// any of the body.
//
//	invalid-payload         400 malformed JSON, failed validation, wrong type; has "errors"
//	invalid-signature       401 missing or wrong webhook signature headers
//	invalid-timestamp       401 webhook timestamp outside the tolerance
//	unauthorized            401 missing or wrong bearer token
//	forbidden               403 a cross-origin admin request
//	unknown-adapter         404 no adapter with that id
//	not-found               404 unknown route or order
//	method-not-allowed      405 (with Allow)
//	payload-too-large       413 body over max_body_bytes
//	unsupported-media-type  415 content type not JSON
//	idempotency-key-reused  422 an Idempotency-Key repeated with another order or body
//	rate-limited            429 too many storefront requests (with Retry-After)
//	unavailable             503 enqueue or store failed, not ready (Retry-After on ingest and read API)
//	internal                500 a bug; the log has the stack
var (
	InvalidPayload   = Kind{Base + "invalid-payload", "Invalid payload"}
	InvalidSignature = Kind{Base + "invalid-signature", "Invalid signature"}
	InvalidTimestamp = Kind{Base + "invalid-timestamp", "Invalid timestamp"}
	Unauthorized     = Kind{Base + "unauthorized", "Unauthorized"}
	Forbidden        = Kind{Base + "forbidden", "Forbidden"}
	UnknownAdapter   = Kind{Base + "unknown-adapter", "Unknown adapter"}
	NotFound         = Kind{Base + "not-found", "Not found"}
	MethodNotAllowed = Kind{Base + "method-not-allowed", "Method not allowed"}
	TooLarge         = Kind{Base + "payload-too-large", "Payload too large"}
	MediaType        = Kind{Base + "unsupported-media-type", "Unsupported media type"}
	KeyReused        = Kind{Base + "idempotency-key-reused", "Idempotency key reused"}
	RateLimited      = Kind{Base + "rate-limited", "Too many requests"}
	Unavailable      = Kind{Base + "unavailable", "Service unavailable"}
	Internal         = Kind{Base + "internal", "Internal server error"}
	NotConfigured    = Kind{Base + "not-configured", "Not configured"}
	PlatformError    = Kind{Base + "platform-error", "The platform did not answer"}
)

// KeyReusedDetail is the detail of a KeyReused problem, in the words
// clients of other idempotent APIs (Stripe's) already know.
const KeyReusedDetail = "Keys for idempotent requests can only be used with the same parameters they were first used with: this Idempotency-Key was first used with another order or body"

// Doc is a problem document as it goes on the wire.
type Doc struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []platform.FieldError `json:"errors,omitempty"`
}

var (
	contentTypeJSON    = []string{"application/json"}
	contentTypeProblem = []string{"application/problem+json"}
)

// Write answers status with a problem document of kind k and stops the
// chain. errs, for a 400, name each failing field.
func Write(c *gin.Context, status int, k Kind, detail string, errs ...platform.FieldError) {
	b, err := json.Marshal(Doc{Type: k.URI, Title: k.Title, Status: status, Detail: detail, Errors: errs})
	if err != nil { // only strings and ints: cannot happen
		b = []byte(`{"type":"about:blank","status":500}`)
	}
	c.Writer.Header()["Content-Type"] = contentTypeProblem
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(b)
	c.Abort()
}

// WriteJSON answers status with a JSON body already encoded and stops the
// chain.
func WriteJSON(c *gin.Context, status int, body []byte) {
	c.Writer.Header()["Content-Type"] = contentTypeJSON
	c.Writer.WriteHeader(status)
	_, _ = c.Writer.Write(body)
	c.Abort()
}
