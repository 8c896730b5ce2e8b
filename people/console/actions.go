package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/index"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// Reasons are the cancellation reasons a request may give (docs/API.md,
// the cancellation body): those of adapters, which ingest also enforces.
var Reasons = platform.Reasons

// States a request can be in, for the list's filter.
var States = platform.States

// validID is the id rule of adapters (fields.go), the one ingest enforces.
var validID = platform.ValidID

// fieldError is a request the merchant has to fix.
type fieldError struct{ Field, Message string }

func (e *fieldError) Error() string { return e.Field + ": " + e.Message }

// queued is what an action queued.
type queued struct {
	Status    string `json:"status"` // queued | duplicate
	WebhookID string `json:"webhook_id"`
	RequestID string `json:"request_id"`
}

// deliveryID names a console action's delivery. With an Idempotency-Key
// the id derives from it and the request's fingerprint, so the queue's
// dedup window answers a repeat "duplicate" instead of acting twice, and
// never takes another order's request for a repeat (even once the key's
// fingerprint has expired); else it is random.
func deliveryID(kind, adapterID, idemKey, fp string) string {
	if idemKey != "" {
		sum := sha256.Sum256([]byte(adapterID + "\x00" + kind + "\x00" + idemKey + "\x00" + fp))
		return "console-" + kind + "-" + hex.EncodeToString(sum[:12])
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "console-" + kind + "-" + hex.EncodeToString(b)
}

// respond queues the merchant's answer to a pending request: a
// cancellation.responded from the seller's side, exactly as the platform's
// webhook would carry it. Whether it still applies is the workers' call.
func (c *Console) respond(ctx context.Context, ad *platform.Adapter, orderID, requestID, decision, idemKey string) (queued, error) {
	switch {
	case !validID(orderID):
		return queued{}, &fieldError{"order_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case !validID(requestID):
		return queued{}, &fieldError{"request_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case decision != string(platform.Accept) && decision != string(platform.Decline):
		return queued{}, &fieldError{"decision", `must be "accept" or "decline"`}
	}
	fp, err := c.checkKey(ctx, "response", ad.ID, idemKey, orderID, struct{ RequestID, Decision string }{requestID, decision})
	if err != nil {
		return queued{}, err
	}
	now := c.o.Now().UTC()
	d := tasks.Delivery{
		AdapterID: ad.ID, WebhookID: deliveryID("response", ad.ID, idemKey, fp), ReceivedAt: now,
		Event: platform.Event{Type: platform.CancellationResponded, Cancellation: &platform.Cancellation{
			Type: platform.CancellationResponded, OrderID: orderID, RequestID: requestID, OccurredAt: now.Truncate(time.Millisecond),
			Decision: platform.Decision(decision), Responder: platform.Seller,
		}},
	}
	return c.enqueue(ctx, d, requestID)
}

// cancel queues a cancellation.requested with initiator merchant.
func (c *Console) cancel(ctx context.Context, ad *platform.Adapter, orderID, reason, comments string, lines []platform.LineRequest, idemKey string) (queued, error) {
	if lines != nil {
		if !ad.Lines {
			return queued{}, &fieldError{"lines", platform.ErrNoLines.Message}
		}
		if errs := platform.CheckLines("lines", lines); len(errs) > 0 {
			return queued{}, &fieldError{errs[0].Field, errs[0].Message}
		}
	}
	switch {
	case !validID(orderID):
		return queued{}, &fieldError{"order_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case !platform.ValidReason(reason):
		return queued{}, &fieldError{"reason", "not a known reason"}
	case utf8.RuneCountInString(comments) > platform.MaxComments:
		return queued{}, &fieldError{"comments", "at most " + strconv.Itoa(platform.MaxComments) + " characters"}
	}
	fp, err := c.checkKey(ctx, "cancel", ad.ID, idemKey, orderID, struct {
		Reason, Comments string
		Lines            []platform.LineRequest `json:",omitempty"`
	}{reason, comments, lines})
	if err != nil {
		return queued{}, err
	}
	now := c.o.Now().UTC()
	wid := deliveryID("cancel", ad.ID, idemKey, fp)
	requestID := "mc-" + wid[len("console-cancel-"):]
	d := tasks.Delivery{
		AdapterID: ad.ID, WebhookID: wid, ReceivedAt: now,
		Event: platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: platform.Merchant,
			Reason: reason, Comments: comments, OccurredAt: now.Truncate(time.Millisecond), Lines: lines,
		}},
	}
	return c.enqueue(ctx, d, requestID)
}

// checkKey returns the fingerprint of an action with an Idempotency-Key
// once the key is bound to it, errKeyReused if the key is bound to
// another; without a key, "" and nothing to check.
func (c *Console) checkKey(ctx context.Context, kind, adapterID, idemKey, orderID string, body any) (string, error) {
	if idemKey == "" {
		return "", nil
	}
	fp := fingerprint(orderID, body)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.claimKey(ctx, kind, adapterID, idemKey, fp); err != nil {
		if errors.Is(err, errKeyReused) {
			return "", err
		}
		return "", fmt.Errorf("idempotency key: %w", err)
	}
	return fp, nil
}

func (c *Console) enqueue(ctx context.Context, d tasks.Delivery, requestID string) (queued, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	dup, err := c.o.Enqueuer.Enqueue(ctx, d)
	if err != nil {
		return queued{}, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	q := queued{Status: "queued", WebhookID: d.WebhookID, RequestID: requestID}
	if dup {
		q.Status = "duplicate"
	}
	return q, nil
}

// replay re-runs one of ad's dead letters; another adapter's is
// orderstore.ErrNotFound.
func (c *Console) replay(ctx context.Context, ad *platform.Adapter, id string) (orderstore.DeadLetter, error) {
	l, err := c.o.DeadLetters.Get(ctx, id)
	if err != nil {
		return orderstore.DeadLetter{}, err
	}
	if l.Adapter != ad.ID {
		return orderstore.DeadLetter{}, orderstore.ErrNotFound
	}
	done, err := c.o.DeadLetters.Replay(ctx, []string{id})
	if err != nil {
		return orderstore.DeadLetter{}, err
	}
	if len(done) == 0 {
		return orderstore.DeadLetter{}, orderstore.ErrNotFound
	}
	return done[0], nil
}

// Dashboard is everything the adapter's dashboard shows, for a period.
type Dashboard struct {
	Adapter          string                  `json:"adapter"`
	Platform         string                  `json:"platform"`
	Stats            *index.Stats            `json:"stats"`
	Pending          []index.CancellationRow `json:"pending"`
	Escalated        []index.CancellationRow `json:"escalated"`
	Conflicts        []index.Conflict        `json:"conflicts"`
	SyncFailed       []index.CancellationRow `json:"sync_failed"`
	DeadLetters      []orderstore.DeadLetter `json:"dead_letters"`
	RepeatCancellers []index.RepeatCanceller `json:"repeat_cancellers"`
	SellerStatHits   []index.CancellationRow `json:"affects_seller_stats"`
	// Boundary is there for platforms with one (Shopify, WooCommerce).
	Boundary *Boundary `json:"boundary,omitempty"`
}

const dashboardRows = 20

func (c *Console) dashboard(ctx context.Context, ad *platform.Adapter, p period) (*Dashboard, error) {
	ix := c.o.Indexes
	d := &Dashboard{Adapter: ad.ID, Platform: ad.Platform}
	var err error
	if d.Stats, err = ix.Stats(ctx, ad.ID, p.since, p.until); err != nil {
		return nil, err
	}
	end := p.untilExclusive()
	if d.Pending, err = ix.Pending(ctx, ad.ID, dashboardRows); err != nil {
		return nil, err
	}
	if d.Escalated, err = ix.Latest(ctx, ad.ID, "escalated", p.since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.Conflicts, err = ix.Conflicts(ctx, ad.ID, p.since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.SyncFailed, err = ix.Latest(ctx, ad.ID, "syncfailed", time.Time{}, time.Time{}, dashboardRows); err != nil {
		return nil, err
	}
	if d.RepeatCancellers, err = ix.RepeatCancellers(ctx, ad.ID, dashboardRows); err != nil {
		return nil, err
	}
	if d.SellerStatHits, err = ix.Latest(ctx, ad.ID, "sellerhit", p.since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.DeadLetters, err = c.o.DeadLetters.ListAdapter(ctx, ad.ID); err != nil {
		return nil, err
	}
	if d.Boundary, err = c.boundary(ctx, ad, p); err != nil {
		return nil, err
	}
	return d, nil
}

// period is a chosen span of whole UTC days: since's day to until's day.
type period struct {
	since, until time.Time
	days         int // when chosen as "last N days"
}

func (p period) untilExclusive() time.Time {
	return p.until.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

const defaultDays = 7

// parsePeriod reads since/until (RFC 3339 or 2006-01-02) or days=N; the
// default is the last 7 days, today included.
func parsePeriod(now time.Time, since, until, days string) (period, error) {
	now = now.UTC()
	p := period{until: now}
	if until != "" {
		t, err := parseTime(until)
		if err != nil {
			return p, &fieldError{"until", "RFC 3339 time or YYYY-MM-DD"}
		}
		p.until = t
	}
	n := defaultDays
	if days != "" {
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n < 1 || n > 90 {
			return p, &fieldError{"days", "a number of days from 1 to 90"}
		}
	}
	p.days = n
	p.since = p.until.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(n - 1))
	if since != "" {
		t, err := parseTime(since)
		if err != nil {
			return p, &fieldError{"since", "RFC 3339 time or YYYY-MM-DD"}
		}
		p.since, p.days = t, 0
	}
	if p.until.Before(p.since) {
		return p, &fieldError{"until", "before since"}
	}
	return p, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// errStatus sorts an action's error for the edge.
func errStatus(err error) (status int, fe *fieldError) {
	switch {
	case errors.As(err, &fe):
		return 400, fe
	case errors.Is(err, orderstore.ErrNotFound):
		return 404, nil
	case errors.Is(err, errKeyReused):
		return 422, nil
	default:
		return 503, nil
	}
}

// Summary is one adapter's row on the console's home page, for the default
// period.
type Summary struct {
	Adapter  string `json:"adapter"`
	Platform string `json:"platform"`
	// Requests in the period; Waiting: requests waiting for the
	// merchant's answer now; FailedSyncs: current states the platform
	// has not taken.
	Requests    int64 `json:"requests"`
	Waiting     int64 `json:"waiting"`
	FailedSyncs int64 `json:"failed_syncs"`
}

// summaries sums up each of ids for the default period.
func (c *Console) summaries(ctx context.Context, ids []string) ([]Summary, error) {
	p, _ := parsePeriod(c.o.Now(), "", "", "")
	out := make([]Summary, 0, len(ids))
	for _, id := range ids {
		ad, ok := c.o.Adapter(id)
		if !ok {
			continue
		}
		st, err := c.o.Indexes.Stats(ctx, id, p.since, p.until)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{Adapter: id, Platform: ad.Platform, Requests: st.Requests, Waiting: st.PendingNow, FailedSyncs: st.Sync.Failed})
	}
	return out, nil
}

// merchantMayCancel asks the workers' own decision path (orderstore.Store.Preview)
// whether a cancellation by the merchant would be taken now: the order page
// offers it only then, and says why not otherwise. An order without a
// snapshot cannot be decided yet (order_unknown).
// lines are the order's lines of which the merchant could cancel some
// units now (none on a platform that cancels whole orders only).
func (c *Console) merchantMayCancel(ctx context.Context, ad *platform.Adapter, orderID string) (ok bool, why platform.DenialReason, lines []order.LinePreview, err error) {
	p, err := c.o.Store.Preview(ctx, ad, orderID, platform.Cancellation{Initiator: platform.Merchant}, c.o.Now())
	switch {
	case errors.Is(err, orderstore.ErrNotFound):
		return false, platform.OrderUnknown, nil, nil
	case err != nil:
		return false, "", nil, err
	}
	for _, l := range p.Lines {
		if l.Cancellable > 0 {
			lines = append(lines, l)
		}
	}
	if p.Would.State == platform.Denied {
		return false, p.Would.DenialReason, lines, nil
	}
	return true, "", lines, nil
}
