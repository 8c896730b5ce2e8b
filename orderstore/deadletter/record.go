package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The dead letter's record: which versions failed for good, kept by us
// rather than by Asynq, whose archive holds at most 10,000 tasks across
// all adapters and so drops old dead letters when one adapter fails a lot
// (docs/GUARANTEES.md: the dead letter has no size cap). Per adapter (per
// bucket on a cluster: Layout.Tag):
//
//   - ixDead, a sorted set of dead-letter ids scored by the failure's time
//     in Unix milliseconds: the list, in order, and the count;
//   - ixDeadEntry + id, the entry itself (an Entry as JSON), expiring
//     with the retention. It is kept apart from the order's document
//     because the order moves on: a request answered after its sync
//     failed has a new version, and the failed one is still listed.
//
// Both are written by the compare-and-set that stores the version as
// failed, and removed by the one that revives it (Ops), so the list and
// the order view never disagree. Entries leave after the store's
// retention (90 days), like the console's indexes.
const (
	ixDead      = "dead"
	ixDeadEntry = "deadentry"
)

// Entry is a sync that exhausted its attempts or failed permanently: an
// entry of the record, as dlq list and the console show it.
type Entry struct {
	ID        string    `json:"id"`
	Adapter   string    `json:"adapter"`
	OrderID   string    `json:"order_id"`
	RequestID string    `json:"request_id"`
	Version   int64     `json:"version"`
	Attempts  int       `json:"attempts"`
	FailedAt  time.Time `json:"failed_at"`
	LastError string    `json:"last_error"`
}

// Record reads the record and changes it outside a compare-and-set.
type Record struct {
	src Source
	rdb redis.UniversalClient
}

// New works on the record of src.
func New(src Source) *Record { return &Record{src: src, rdb: src.Redis()} }

// deadPage is how many ids a read of the record takes at a time.
const deadPage = 500

// entriesOf reads one adapter's dead letters failed at or after cutoff
// (Unix ms), oldest first: each bucket's a page at a time, merged.
func (r *Record) entriesOf(ctx context.Context, adapterID string, cutoff int64) ([]Entry, error) {
	out := []Entry{}
	tags := r.src.Tags(adapterID)
	for _, tag := range tags {
		page, err := r.entriesIn(ctx, tag, cutoff)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	if len(tags) > 1 {
		slices.SortStableFunc(out, func(a, b Entry) int {
			if c := a.FailedAt.Compare(b.FailedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return out, nil
}

// entriesIn reads the dead letters of one tag's record.
func (r *Record) entriesIn(ctx context.Context, tag string, cutoff int64) ([]Entry, error) {
	var out []Entry
	key := r.src.Key(tag, ixDead)
	// The next page starts at the last score read, past the ids already
	// read at that score: an entry replayed meanwhile can shift only the
	// ids of that one score, not every later page.
	from, skip := cutoff, int64(0)
	for {
		zs, err := r.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{
			Min: itoa(from), Max: "+inf", Offset: skip, Count: deadPage}).Result()
		if err != nil {
			return nil, err
		}
		if len(zs) == 0 {
			return out, nil
		}
		keys := make([]string, len(zs))
		for i, z := range zs {
			keys[i] = r.src.PartKey(tag, ixDeadEntry, z.Member.(string))
		}
		vals, err := r.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired with its retention, not yet trimmed
			}
			var l Entry
			if json.Unmarshal([]byte(str), &l) == nil {
				out = append(out, l)
			}
		}
		if len(zs) < deadPage {
			return out, nil
		}
		last := int64(zs[len(zs)-1].Score)
		if last != from {
			from, skip = last, 0
		}
		for _, z := range zs {
			if int64(z.Score) == last {
				skip++
			}
		}
	}
}

// tagOf is the tag of the record that holds dead letter id.
func (r *Record) tagOf(id string) (string, bool) {
	adapterID, orderID, ok := r.src.TaskOrder(id)
	if !ok {
		return "", false
	}
	return r.src.Tag(adapterID, orderID), true
}

// Cutoff is the oldest failure time still in the dead letter: entries
// leave after the store's retention, like the console's indexes.
func (r *Record) Cutoff() time.Time {
	return r.src.Now().Add(-r.src.Retention())
}

func (r *Record) cutoff() int64 { return ms(r.Cutoff()) }

// Adapters lists the adapters that have had a dead letter.
func (r *Record) Adapters(ctx context.Context) ([]string, error) {
	return r.rdb.SMembers(ctx, r.src.AdaptersKey()).Result()
}

// Of reads one adapter's dead letters within the retention, oldest
// failure first.
func (r *Record) Of(ctx context.Context, adapterID string) ([]Entry, error) {
	return r.entriesOf(ctx, adapterID, r.cutoff())
}

// Get reads one entry of the record; ok is false when it is not there or
// past the retention.
func (r *Record) Get(ctx context.Context, id string) (l Entry, ok bool, err error) {
	cutoff := r.cutoff()
	tag, ok := r.tagOf(id)
	if !ok {
		return Entry{}, false, nil
	}
	score, err := r.rdb.ZScore(ctx, r.src.Key(tag, ixDead), id).Result()
	if errors.Is(err, redis.Nil) || err == nil && int64(score) < cutoff {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	raw, err := r.rdb.Get(ctx, r.src.PartKey(tag, ixDeadEntry, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return Entry{}, false, err
	}
	return l, true, nil
}

// Add puts l in the record, as the compare-and-set does, for a dead letter
// it did not write (one adopted from Asynq's archive). The adapter joins
// the set of adapters with dead letters first, on its own: on a cluster
// that set is in another hash slot.
func (r *Record) Add(ctx context.Context, l Entry) error {
	entry, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := r.rdb.SAdd(ctx, r.src.AdaptersKey(), l.Adapter).Err(); err != nil {
		return err
	}
	tag := r.src.Tag(l.Adapter, l.OrderID)
	_, err = r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, r.src.Key(tag, ixDead), redis.Z{Score: float64(ms(l.FailedAt)), Member: l.ID})
		p.Set(ctx, r.src.PartKey(tag, ixDeadEntry, l.ID), entry, 0)
		p.PExpireAt(ctx, r.src.PartKey(tag, ixDeadEntry, l.ID), l.FailedAt.Add(r.src.Retention()))
		return nil
	})
	return err
}

// Remove takes l out of the record: a replay of a version that is no
// longer failed (answered since, or acknowledged) revives nothing, so no
// compare-and-set removes it.
func (r *Record) Remove(ctx context.Context, l Entry) error {
	tag := r.src.Tag(l.Adapter, l.OrderID)
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.src.Key(tag, ixDead), l.ID)
		p.Unlink(ctx, r.src.PartKey(tag, ixDeadEntry, l.ID))
		return nil
	})
	return err
}

// Count is the number of dead letters within the retention, exactly, in
// one round trip after the adapters' list.
func (r *Record) Count(ctx context.Context) (int, error) {
	ids, err := r.Adapters(ctx)
	if err != nil {
		return 0, err
	}
	from := itoa(r.cutoff())
	var cmds []*redis.IntCmd
	if _, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			for _, tag := range r.src.Tags(id) {
				cmds = append(cmds, p.ZCount(ctx, r.src.Key(tag, ixDead), from, "+inf"))
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}
