package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// ingest serves POST /webhooks/:adapter/{orders,cancellations}. The checks
// run in the order of docs/API.md §3 (and §7, §8), cheapest and least trusting first:
// adapter and its endpoint (404), media type (415, unless the adapter's
// Pinger recognises a platform's unsigned hello: 200 ignored), size (413),
// authenticity (401), payload (400; a delivery the adapter does not act on:
// 200 ignored), enqueue (503). Nothing is decoded before it is authenticated, and
// nothing is acknowledged before it is durable.
type ingest struct {
	o Options
}

// result is what the request log and metrics need from one ingest.
type result struct {
	adapter   string // metrics label: a configured id or unknownAdapter
	webhookID string // set once verified
	orderID   string // set once decoded
	err       error  // an operational failure worth logging (never a client's fault)
	// refusal says, for the log only, which check refused the request
	// (platform.AuthReason values, unknown_adapter, no_endpoint); the
	// sender's answer never carries it.
	refusal string
	header  string // the header the refusal concerned, if any
}

func (in *ingest) handler(kind platform.Kind) gin.HandlerFunc {
	kindLabel := string(kind)
	return func(c *gin.Context) {
		start := time.Now()
		res := in.serve(c, kind)
		latency := time.Since(start)
		status := c.Writer.Status()
		in.o.Metrics.observe(res.adapter, kindLabel, status, latency)

		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		log := in.o.Logger
		if !log.Enabled(c.Request.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("adapter", truncate(c.Param("adapter"), 64)),
			slog.String("kind", kindLabel),
			slog.Int("status", status),
			slog.String("webhook_id", res.webhookID),
		}
		if res.orderID != "" {
			attrs = append(attrs, slog.String("order_id", res.orderID))
		}
		attrs = append(attrs,
			slog.String("request_id", accesslog.RequestID(c)),
			slog.Duration("latency", latency),
		)
		if res.refusal != "" {
			attrs = append(attrs, slog.String("reason", res.refusal))
		}
		if res.header != "" {
			attrs = append(attrs, slog.String("header", res.header))
		}
		if res.err != nil {
			attrs = append(attrs, slog.String("error", res.err.Error()))
		}
		log.LogAttrs(c.Request.Context(), level, "webhook", attrs...)
	}
}

func (in *ingest) serve(c *gin.Context, kind platform.Kind) result {
	id := c.Param("adapter")
	a, ok := in.o.Lookup(id)
	if !ok {
		problem.Write(c, http.StatusNotFound, problem.UnknownAdapter, "no adapter with this id")
		return result{adapter: unknownAdapter, refusal: "unknown_adapter"}
	}
	res := result{adapter: id}
	r := c.Request
	inbound, ok := a.Inbound[kind]
	if !ok {
		// The adapter takes nothing on this endpoint (a Shopify store
		// without relay_secrets on /cancellations).
		problem.Write(c, http.StatusNotFound, problem.NotFound, "this adapter has no "+string(kind)+" endpoint")
		res.refusal = "no_endpoint"
		return res
	}

	if !isJSON(r.Header.Get("Content-Type")) {
		if p, ok := inbound.(platform.Pinger); ok && r.ContentLength <= in.o.MaxBodyBytes {
			// A platform's unsigned hello (WooCommerce's form-encoded
			// webhook_id=N) is acknowledged and nothing else.
			if body, err := readBody(c, in.o.MaxBodyBytes); err == nil {
				if pingID, ok := p.Ping(r.Header, body); ok {
					res.webhookID = pingID
					problem.WriteJSON(c, http.StatusOK, ack("ignored", pingID))
					return res
				}
			}
		}
		problem.Write(c, http.StatusUnsupportedMediaType, problem.MediaType, "content type must be application/json")
		return res
	}
	// A declared length over the limit is refused before reading a byte.
	if r.ContentLength > in.o.MaxBodyBytes {
		writeTooLarge(c)
		return res
	}
	body, err := readBody(c, in.o.MaxBodyBytes)
	if err != nil {
		if _, over := errors.AsType[*http.MaxBytesError](err); over {
			writeTooLarge(c)
			return res
		}
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the body could not be read",
			[]platform.FieldError{{Field: "", Message: "body could not be read"}}...)
		return res
	}

	now := in.o.Now()
	webhookID, err := inbound.Verify(r.Header, body, now)
	if err != nil {
		// Say which of the two failed and nothing else.
		reason, k := reasonSignature, problem.InvalidSignature
		if errors.Is(err, platform.ErrTimestamp) {
			reason, k = reasonTimestamp, problem.InvalidTimestamp
		}
		in.o.Metrics.authFailure(id, reason)
		res.refusal, res.header = refusalOf(err)
		c.Writer.Header().Set("WWW-Authenticate", webhookChallenge)
		problem.Write(c, http.StatusUnauthorized, k, "invalid "+reason)
		return res
	}
	res.webhookID = webhookID

	ev, err := inbound.Decode(kind, r.Header, body)
	if err == nil {
		err = platform.RefuseLines(a, ev)
	}
	if errors.Is(err, platform.ErrIgnored) {
		// Authentic, but nothing the adapter acts on (another topic).
		problem.WriteJSON(c, http.StatusOK, ack("ignored", webhookID))
		return res
	}
	if err != nil {
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload,
			"the payload is not valid for this endpoint", fieldErrors(err)...)
		return res
	}
	res.orderID = ev.OrderID()

	ctx, cancel := context.WithTimeout(r.Context(), in.o.EnqueueTimeout)
	dup, err := in.o.Enqueuer.Enqueue(ctx, tasks.Delivery{
		AdapterID:  id,
		WebhookID:  webhookID,
		RequestID:  accesslog.RequestID(c),
		ReceivedAt: now,
		Event:      ev,
	})
	cancel()
	if err != nil {
		res.err = err
		c.Writer.Header().Set("Retry-After", problem.RetryAfterUnavailable)
		problem.Write(c, http.StatusServiceUnavailable, problem.Unavailable, "the webhook could not be queued; nothing was accepted, retry later")
		return res
	}
	if dup {
		in.o.Metrics.duplicate(id)
		problem.WriteJSON(c, http.StatusOK, ack("duplicate", webhookID))
		return res
	}
	problem.WriteJSON(c, http.StatusAccepted, ack("queued", webhookID))
	return res
}

// refusalOf is the log's reason for a verifier's refusal: the check that
// failed, or "unspecified" from a verifier that does not say.
func refusalOf(err error) (reason, header string) {
	if ae, ok := errors.AsType[*platform.AuthError](err); ok {
		return string(ae.Reason), ae.Header
	}
	return "unspecified", ""
}

// webhookChallenge is the WWW-Authenticate of a webhook 401 (RFC 9110 wants
// a challenge with every 401). No registered scheme means "a signature over
// the request"; the credentials are the platform's own headers (docs/API.md).
const webhookChallenge = `Signature realm="cancelsync"`

// ack is the body of a 2xx answer (docs/API.md §3).
func ack(status, webhookID string) []byte {
	b, err := json.Marshal(struct {
		Status    string `json:"status"`
		WebhookID string `json:"webhook_id"`
	}{status, webhookID})
	if err != nil { // two strings: cannot happen
		panic(err)
	}
	return b
}

func writeTooLarge(c *gin.Context) {
	// The sender may still be pushing the rest; don't keep the connection.
	c.Writer.Header().Set("Connection", "close")
	problem.Write(c, http.StatusRequestEntityTooLarge, problem.TooLarge, "the body is larger than the limit")
}

// fieldErrors lists what Decode rejected. A decoder error that names no
// field is reported on the document root, field "" (as in JSON Pointer), so
// a 400 always has at least one entry.
func fieldErrors(err error) []platform.FieldError {
	if ve, ok := errors.AsType[*platform.ValidationError](err); ok && len(ve.Errors) > 0 {
		return ve.Errors
	}
	return []platform.FieldError{{Field: "", Message: "malformed payload"}}
}

// isJSON accepts application/json and application/*+json, with any
// parameters (charset=utf-8), case-insensitively.
func isJSON(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	const app = "application/"
	if len(ct) <= len(app) || !strings.EqualFold(ct[:len(app)], app) {
		return false
	}
	sub := ct[len(app):]
	const suffix = "+json"
	return strings.EqualFold(sub, "json") ||
		(len(sub) > len(suffix) && strings.EqualFold(sub[len(sub)-len(suffix):], suffix))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
