package orderstore

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore/index"
)

// The reconciliation poll's state in Redis (docs/API.md §13): a lease per
// adapter, so that one process polls it at a time, and one hash per
// adapter that outlives every process: the high-water mark, the last
// successful poll, the webhook subscriptions' states and the count of live
// checks that failed (the console shows the last three).

const oneDay = 24 * time.Hour

// Fields of reconcileKey.
const (
	fieldMark       = "mark"        // RFC 3339, nanoseconds: where the next poll starts (less the overlap)
	fieldPolled     = "polled"      // Unix ms of the last poll that completed
	fieldSubs       = "subs"        // JSON: topic → ok | missing | disabled, as last seen
	fieldSubsAt     = "subs_at"     // Unix ms of that sighting
	fieldLiveFailed = "live_failed" // live checks that could not read the platform
	fieldLiveLast   = "live_last"   // JSON LiveFailure: the latest of them
)

// ReconcileLease reports whether the process holding token holds the
// adapter's poll lease for ttl from now: taken when free, extended when
// it holds it already. A process that is killed loses it after ttl.
func (s *Store) ReconcileLease(ctx context.Context, adapterID, token string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{reconcileLeaseKey(adapterID)}, token, ttl.Milliseconds()).Int()
	return n == 1, err
}

// ReleaseReconcileLease gives the lease back if token holds it.
func (s *Store) ReleaseReconcileLease(ctx context.Context, adapterID, token string) error {
	return leaseUnlockScript.Run(ctx, s.rdb, []string{reconcileLeaseKey(adapterID)}, token).Err()
}

// advanceScript moves the mark (KEYS[2]) forward and records the poll's
// success, only while ARGV[1] holds the lease (KEYS[1]): a process that
// lost its lease mid-poll (stalled past its ttl) cannot move back a mark
// that the new holder moved on.
var advanceScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[2], "` + fieldMark + `", ARGV[2], "` + fieldPolled + `", ARGV[3])
return 1
`)

// ErrLeaseLost is a poll whose process no longer holds the adapter's lease.
var ErrLeaseLost = errors.New("reconcile lease lost")

// AdvanceMark records a completed poll: the next one starts at mark, less
// the overlap; at is when this one completed.
func (s *Store) AdvanceMark(ctx context.Context, adapterID, token string, mark, at time.Time) error {
	n, err := advanceScript.Run(ctx, s.rdb, []string{reconcileLeaseKey(adapterID), reconcileKey(adapterID)},
		token, mark.UTC().Format(time.RFC3339Nano), at.UnixMilli()).Int()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// Boundary is an adapter's boundary record.
type Boundary struct {
	Mark          time.Time         // zero before the first poll
	LastSuccess   time.Time         // zero before the first poll
	Subscriptions map[string]string // topic → ok | missing | disabled; nil when never checked
	CheckedAt     time.Time         // when Subscriptions were seen
	LiveFailed    int64
	// LastLiveFailure is the latest live check that failed; nil when
	// none has.
	LastLiveFailure *LiveFailure
}

// LiveFailure is one live check that could not read the platform.
type LiveFailure struct {
	At      time.Time `json:"at"`
	OrderID string    `json:"order_id"`
	// Error is the read's error as the platform client words it: a
	// status or a timeout, never a credential.
	Error string `json:"error"`
}

// Boundary reads the adapter's boundary record.
func (s *Store) Boundary(ctx context.Context, adapterID string) (Boundary, error) {
	var b Boundary
	h, err := s.rdb.HGetAll(ctx, reconcileKey(adapterID)).Result()
	if err != nil {
		return b, err
	}
	b.Mark, _ = time.Parse(time.RFC3339Nano, h[fieldMark])
	if ms, err := strconv.ParseInt(h[fieldPolled], 10, 64); err == nil {
		b.LastSuccess = time.UnixMilli(ms)
	}
	if ms, err := strconv.ParseInt(h[fieldSubsAt], 10, 64); err == nil {
		b.CheckedAt = time.UnixMilli(ms)
	}
	if raw := h[fieldSubs]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &b.Subscriptions)
	}
	b.LiveFailed, _ = strconv.ParseInt(h[fieldLiveFailed], 10, 64)
	if raw := h[fieldLiveLast]; raw != "" {
		var f LiveFailure
		if json.Unmarshal([]byte(raw), &f) == nil {
			b.LastLiveFailure = &f
		}
	}
	return b, nil
}

// SaveSubscriptions records the states of the adapter's webhook
// subscriptions as seen at at.
func (s *Store) SaveSubscriptions(ctx context.Context, adapterID string, states map[string]string, at time.Time) error {
	raw, err := json.Marshal(states)
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, reconcileKey(adapterID), fieldSubs, raw, fieldSubsAt, at.UnixMilli()).Err()
}

// maxLiveError bounds a stored error message: the console shows it in a
// table cell.
const maxLiveError = 300

// CountLiveFailure counts one live check that could not read the
// platform: in the adapter's total, in its UTC day's counter (kept as
// long as the indexes, so the console can count any period it shows) and
// as the latest failure.
func (s *Store) CountLiveFailure(ctx context.Context, adapterID string, f LiveFailure) error {
	if len(f.Error) > maxLiveError {
		f.Error = f.Error[:maxLiveError] + "…"
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	day := liveFailedDayKey(adapterID, f.At)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, reconcileKey(adapterID), fieldLiveFailed, 1)
		p.HSet(ctx, reconcileKey(adapterID), fieldLiveLast, raw)
		p.Incr(ctx, day)
		p.Expire(ctx, day, s.retention()+2*oneDay)
		return nil
	})
	return err
}

// LiveFailures counts the live checks that failed on the UTC days from
// since's to until's, both included, within the retention.
func (s *Store) LiveFailures(ctx context.Context, adapterID string, since, until time.Time) (int64, error) {
	first, last := index.Period{Now: s.now(), Retention: s.retention()}.Days(since, until)
	var keys []string
	for d := first; !d.After(last); d = d.Add(oneDay) {
		keys = append(keys, liveFailedDayKey(adapterID, d))
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, v := range vals {
		if str, ok := v.(string); ok {
			c, _ := strconv.ParseInt(str, 10, 64)
			n += c
		}
	}
	return n, nil
}
