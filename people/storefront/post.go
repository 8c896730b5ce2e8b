package storefront

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// requestBody is POST's body.
type requestBody struct {
	Reason   string `json:"reason"`
	Comments string `json:"comments"`
	// Lines, when set, are the lines to cancel; absent: the whole order.
	Lines []platform.LineRequest `json:"lines,omitempty"`
}

// queuedAnswer is POST's 202 body, and what an Idempotency-Key keeps.
type queuedAnswer struct {
	RequestID string `json:"request_id"`
	Status    string `json:"status"`
}

// post queues the buyer's request. In order: adapter and token (404, 401),
// the buyer's rate limit (429), the body (415, 413, 400), the buyer's order
// (404), the Idempotency-Key's first answer, the durable enqueue (503 when
// Redis fails). 202 only once the request is in Redis.
func (h *handler) post(c *gin.Context) {
	now := h.o.Now()
	a, buyerID, ok := h.authorize(c, now)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), h.o.Timeout)
	defer cancel()

	res, err := h.limiter.Allow(ctx, rateKey(a.ID, buyerID), h.o.Limit)
	if err != nil {
		h.unavailable(c, "rate limit", a.ID, err)
		return
	}
	if res.Allowed == 0 {
		secs := max(1, int(math.Ceil(res.RetryAfter.Seconds())))
		c.Writer.Header()["Retry-After"] = []string{strconv.Itoa(secs)}
		accesslog.Refuse(c, "rate_limited")
		problem.Write(c, http.StatusTooManyRequests, problem.RateLimited, "too many cancellation requests from this buyer, retry later")
		return
	}

	body, ok := readRequest(c)
	if !ok {
		return
	}
	idemKey := c.Request.Header.Get("Idempotency-Key")
	if _, sent := c.Request.Header["Idempotency-Key"]; sent && !validIdempotencyKey(idemKey) {
		accesslog.Refuse(c, "invalid_idempotency_key")
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the request is not valid",
			platform.FieldError{Field: "Idempotency-Key", Message: "must be 1 to 255 visible ASCII characters"})
		return
	}

	p, ok := h.buyersOrder(c, ctx, a, buyerID, now)
	if !ok {
		return
	}
	if body.Lines != nil && !a.Lines {
		accesslog.Refuse(c, "lines_not_supported")
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the request is not valid",
			platform.FieldError{Field: "lines", Message: platform.ErrNoLines.Message})
		return
	}
	mine := claim{RequestID: newRequestID(), OrderID: p.Order.ID, OccurredAt: now, Reason: body.Reason, Comments: body.Comments, Lines: body.Lines}
	first := mine
	if idemKey != "" {
		// A repeated key gets the first answer: its request is queued
		// again under the same id, which the queue's dedup makes a no-op,
		// so the answer is never sent before that request is durable.
		first, err = h.idem.claim(ctx, idemRedisKey(a.ID, buyerID, idemKey), mine)
		if err != nil {
			h.unavailable(c, "idempotency", a.ID, err)
			return
		}
		// With another order or body the first answer would be about a
		// request this one is not: refused, nothing queued.
		if first.fingerprint() != mine.fingerprint() {
			accesslog.Refuse(c, "idempotency_key_reused")
			problem.Write(c, http.StatusUnprocessableEntity, problem.KeyReused, problem.KeyReusedDetail)
			return
		}
	}
	_, err = h.o.Queue.Enqueue(ctx, tasks.Delivery{
		AdapterID: a.ID, WebhookID: first.RequestID, RequestID: accesslog.RequestID(c), ReceivedAt: first.OccurredAt,
		Event: platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: first.OrderID, RequestID: first.RequestID,
			Initiator: platform.Buyer, Reason: first.Reason, Comments: first.Comments, OccurredAt: first.OccurredAt,
			Lines: first.Lines,
		}},
	})
	if err != nil {
		h.unavailable(c, "enqueue", a.ID, err)
		return
	}
	writeJSON(c, http.StatusAccepted, queuedAnswer{RequestID: first.RequestID, Status: "queued"})
}

// readRequest reads and validates POST's body like a cancellation.requested
// webhook's reason and comments; it has answered when ok is false.
func readRequest(c *gin.Context) (body requestBody, ok bool) {
	if mt, _, err := mime.ParseMediaType(c.Request.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem.Write(c, http.StatusUnsupportedMediaType, problem.MediaType, "content type must be application/json")
		return body, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	if err != nil {
		if _, over := errors.AsType[*http.MaxBytesError](err); over {
			problem.Write(c, http.StatusRequestEntityTooLarge, problem.TooLarge, "the body is larger than the limit")
			return body, false
		}
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the body could not be read",
			platform.FieldError{Field: "", Message: "body could not be read"})
		return body, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if !utf8.Valid(raw) || dec.Decode(&body) != nil || dec.More() {
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the request is not valid",
			platform.FieldError{Field: "", Message: `must be a JSON object {"reason": ..., "comments": ..., "lines": [...]} and nothing else`})
		return body, false
	}
	var errs []platform.FieldError
	switch {
	case body.Reason == "":
		errs = append(errs, platform.FieldError{Field: "reason", Message: "is required"})
	case !platform.ValidReason(body.Reason):
		errs = append(errs, platform.FieldError{Field: "reason", Message: "must be one of the cancellation reasons"})
	}
	if utf8.RuneCountInString(body.Comments) > platform.MaxComments {
		errs = append(errs, platform.FieldError{Field: "comments", Message: "must be at most " + strconv.Itoa(platform.MaxComments) + " characters"})
	}
	if body.Lines != nil {
		errs = append(errs, platform.CheckLines("lines", body.Lines)...)
	}
	if len(errs) > 0 {
		problem.Write(c, http.StatusBadRequest, problem.InvalidPayload, "the request is not valid", errs...)
		return body, false
	}
	return body, true
}

// newRequestID is "sf-" and 128 random bits: a storefront request's id,
// which is also its delivery's dedup id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails (Go 1.24+)
	return "sf-" + hex.EncodeToString(b[:])
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Redis keys live in orderstore/keys.go.
var (
	rateKey      = orderstore.StorefrontRateKey
	idemRedisKey = orderstore.StorefrontIdempotencyKey
)

// claim is the request an Idempotency-Key stands for.
type claim struct {
	RequestID  string                 `json:"q"`
	OrderID    string                 `json:"o"`
	OccurredAt time.Time              `json:"t"`
	Reason     string                 `json:"re"`
	Comments   string                 `json:"c,omitempty"`
	Lines      []platform.LineRequest `json:"l,omitempty"`
}

// fingerprint is what a repeat of an Idempotency-Key must match
// (orderstore.Fingerprint; an empty "comments" counts as absent). Derived
// from the claim, so a claim stored before fingerprints existed compares
// too.
func (c claim) fingerprint() [sha256.Size]byte {
	return orderstore.Fingerprint(c.OrderID, requestBody{Reason: c.Reason, Comments: c.Comments, Lines: c.Lines})
}

// idempotency keeps each Idempotency-Key's first request for
// IdempotencyTTL.
type idempotency struct {
	rdb redis.UniversalClient
}

// claim returns the key's first request: c when this call is the first.
func (i idempotency) claim(ctx context.Context, key string, c claim) (claim, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return claim{}, err
	}
	got, err := orderstore.Claim(ctx, i.rdb, key, b, IdempotencyTTL)
	if err != nil {
		return claim{}, err
	}
	var first claim
	if err := json.Unmarshal(got, &first); err != nil {
		return claim{}, err
	}
	return first, nil
}
