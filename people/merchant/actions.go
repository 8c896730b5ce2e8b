package merchant

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

// FieldError is a request the merchant has to fix.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Queued is what an action queued.
type Queued struct {
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

// Respond queues the merchant's answer to a pending request: a
// cancellation.responded from the seller's side, exactly as the platform's
// webhook would carry it. Whether it still applies is the workers' call.
func (m *Merchant) Respond(ctx context.Context, ad *platform.Adapter, orderID, requestID, decision, idemKey string) (Queued, error) {
	switch {
	case !platform.ValidID(orderID):
		return Queued{}, &FieldError{"order_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case !platform.ValidID(requestID):
		return Queued{}, &FieldError{"request_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case decision != string(platform.Accept) && decision != string(platform.Decline):
		return Queued{}, &FieldError{"decision", `must be "accept" or "decline"`}
	}
	fp, err := m.checkKey(ctx, "response", ad.ID, idemKey, orderID, struct{ RequestID, Decision string }{requestID, decision})
	if err != nil {
		return Queued{}, err
	}
	now := m.o.Now().UTC()
	d := tasks.Delivery{
		AdapterID: ad.ID, WebhookID: deliveryID("response", ad.ID, idemKey, fp), ReceivedAt: now,
		Event: platform.Event{Type: platform.CancellationResponded, Cancellation: &platform.Cancellation{
			Type: platform.CancellationResponded, OrderID: orderID, RequestID: requestID, OccurredAt: now.Truncate(time.Millisecond),
			Decision: platform.Decision(decision), Responder: platform.Seller,
		}},
	}
	return m.enqueue(ctx, d, requestID)
}

// Cancel queues a cancellation.requested with initiator merchant.
func (m *Merchant) Cancel(ctx context.Context, ad *platform.Adapter, orderID, reason, comments string, lines []platform.LineRequest, idemKey string) (Queued, error) {
	if lines != nil {
		if !ad.Lines {
			return Queued{}, &FieldError{"lines", platform.ErrNoLines.Message}
		}
		if errs := platform.CheckLines("lines", lines); len(errs) > 0 {
			return Queued{}, &FieldError{errs[0].Field, errs[0].Message}
		}
	}
	switch {
	case !platform.ValidID(orderID):
		return Queued{}, &FieldError{"order_id", "1–128 characters of [A-Za-z0-9._:-]"}
	case !platform.ValidReason(reason):
		return Queued{}, &FieldError{"reason", "not a known reason"}
	case utf8.RuneCountInString(comments) > platform.MaxComments:
		return Queued{}, &FieldError{"comments", "at most " + strconv.Itoa(platform.MaxComments) + " characters"}
	}
	fp, err := m.checkKey(ctx, "cancel", ad.ID, idemKey, orderID, struct {
		Reason, Comments string
		Lines            []platform.LineRequest `json:",omitempty"`
	}{reason, comments, lines})
	if err != nil {
		return Queued{}, err
	}
	now := m.o.Now().UTC()
	wid := deliveryID("cancel", ad.ID, idemKey, fp)
	requestID := "mc-" + wid[len("console-cancel-"):]
	d := tasks.Delivery{
		AdapterID: ad.ID, WebhookID: wid, ReceivedAt: now,
		Event: platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
			Type: platform.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: platform.Merchant,
			Reason: reason, Comments: comments, OccurredAt: now.Truncate(time.Millisecond), Lines: lines,
		}},
	}
	return m.enqueue(ctx, d, requestID)
}

// checkKey returns the fingerprint of an action with an Idempotency-Key
// once the key is bound to it, ErrKeyReused if the key is bound to
// another; without a key, "" and nothing to check.
func (m *Merchant) checkKey(ctx context.Context, kind, adapterID, idemKey, orderID string, body any) (string, error) {
	if idemKey == "" {
		return "", nil
	}
	fp := fingerprint(orderID, body)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := m.claimKey(ctx, kind, adapterID, idemKey, fp); err != nil {
		if errors.Is(err, ErrKeyReused) {
			return "", err
		}
		return "", fmt.Errorf("idempotency key: %w", err)
	}
	return fp, nil
}

func (m *Merchant) enqueue(ctx context.Context, d tasks.Delivery, requestID string) (Queued, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	dup, err := m.o.Enqueuer.Enqueue(ctx, d)
	if err != nil {
		return Queued{}, fmt.Errorf("enqueue %s: %w", d.WebhookID, err)
	}
	q := Queued{Status: "queued", WebhookID: d.WebhookID, RequestID: requestID}
	if dup {
		q.Status = "duplicate"
	}
	return q, nil
}

// Replay re-runs one of ad's dead letters; another adapter's is
// orderstore.ErrNotFound.
func (m *Merchant) Replay(ctx context.Context, ad *platform.Adapter, id string) (orderstore.DeadLetter, error) {
	return m.o.DeadLetters.ReplayOf(ctx, ad.ID, id)
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

// Dashboard reads what the adapter's dashboard shows for p.
func (m *Merchant) Dashboard(ctx context.Context, ad *platform.Adapter, p Period) (*Dashboard, error) {
	ix := m.o.Indexes
	d := &Dashboard{Adapter: ad.ID, Platform: ad.Platform}
	var err error
	if d.Stats, err = ix.Stats(ctx, ad.ID, p.Since, p.Until); err != nil {
		return nil, err
	}
	end := p.UntilExclusive()
	if d.Pending, err = ix.Pending(ctx, ad.ID, dashboardRows); err != nil {
		return nil, err
	}
	if d.Escalated, err = ix.Latest(ctx, ad.ID, "escalated", p.Since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.Conflicts, err = ix.Conflicts(ctx, ad.ID, p.Since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.SyncFailed, err = ix.Latest(ctx, ad.ID, "syncfailed", time.Time{}, time.Time{}, dashboardRows); err != nil {
		return nil, err
	}
	if d.RepeatCancellers, err = ix.RepeatCancellers(ctx, ad.ID, dashboardRows); err != nil {
		return nil, err
	}
	if d.SellerStatHits, err = ix.Latest(ctx, ad.ID, "sellerhit", p.Since, end, dashboardRows); err != nil {
		return nil, err
	}
	if d.DeadLetters, err = m.o.DeadLetters.ListAdapter(ctx, ad.ID); err != nil {
		return nil, err
	}
	if d.Boundary, err = m.boundary(ctx, ad, p); err != nil {
		return nil, err
	}
	return d, nil
}

// Period is a chosen span of whole UTC days: Since's day to Until's day.
type Period struct {
	Since, Until time.Time
	Days         int // when chosen as "last N days"
}

// UntilExclusive is the end of Until's day.
func (p Period) UntilExclusive() time.Time {
	return p.Until.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

const defaultDays = 7

// ParsePeriod reads since/until (RFC 3339 or 2006-01-02) or days=N; the
// default is the last 7 days, today included.
func ParsePeriod(now time.Time, since, until, days string) (Period, error) {
	now = now.UTC()
	p := Period{Until: now}
	if until != "" {
		t, err := ParseTime(until)
		if err != nil {
			return p, &FieldError{"until", "RFC 3339 time or YYYY-MM-DD"}
		}
		p.Until = t
	}
	n := defaultDays
	if days != "" {
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n < 1 || n > 90 {
			return p, &FieldError{"days", "a number of days from 1 to 90"}
		}
	}
	p.Days = n
	p.Since = p.Until.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(n - 1))
	if since != "" {
		t, err := ParseTime(since)
		if err != nil {
			return p, &FieldError{"since", "RFC 3339 time or YYYY-MM-DD"}
		}
		p.Since, p.Days = t, 0
	}
	if p.Until.Before(p.Since) {
		return p, &FieldError{"until", "before since"}
	}
	return p, nil
}

// ParseTime reads an RFC 3339 time or a day (2006-01-02).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
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

// Summaries sums up each of ids for the default period.
func (m *Merchant) Summaries(ctx context.Context, ids []string) ([]Summary, error) {
	p, _ := ParsePeriod(m.o.Now(), "", "", "")
	out := make([]Summary, 0, len(ids))
	for _, id := range ids {
		ad, ok := m.o.Adapter(id)
		if !ok {
			continue
		}
		st, err := m.o.Indexes.Stats(ctx, id, p.Since, p.Until)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{Adapter: id, Platform: ad.Platform, Requests: st.Requests, Waiting: st.PendingNow, FailedSyncs: st.Sync.Failed})
	}
	return out, nil
}

// MayCancel asks the workers' own decision path (orderstore.Store.Preview)
// whether a cancellation by the merchant would be taken now: the order page
// offers it only then, and says why not otherwise. An order without a
// snapshot cannot be decided yet (order_unknown).
// lines are the order's lines of which the merchant could cancel some
// units now (none on a platform that cancels whole orders only).
func (m *Merchant) MayCancel(ctx context.Context, ad *platform.Adapter, orderID string) (ok bool, why platform.DenialReason, lines []order.LinePreview, err error) {
	doc, err := m.o.Store.Load(ctx, ad.ID, orderID)
	if err != nil {
		return false, "", nil, fmt.Errorf("preview order %s/%s: %w", ad.ID, orderID, err)
	}
	ok, why, lines = m.MayCancelDoc(ad, orderID, doc)
	return ok, why, lines, nil
}

// MayCancelDoc is MayCancel on the order's document already read
// (orderstore.Store.Load): the console's order page shows the order from
// the same read.
func (m *Merchant) MayCancelDoc(ad *platform.Adapter, orderID string, doc *order.Doc) (ok bool, why platform.DenialReason, lines []order.LinePreview) {
	p, err := orderstore.PreviewDoc(doc, ad, orderID, platform.Cancellation{Initiator: platform.Merchant}, m.o.Now())
	if err != nil { // orderstore.ErrNotFound: no snapshot yet
		return false, platform.OrderUnknown, nil
	}
	for _, l := range p.Lines {
		if l.Cancellable > 0 {
			lines = append(lines, l)
		}
	}
	if p.Would.State == platform.Denied {
		return false, p.Would.DenialReason, lines
	}
	return true, "", lines
}
