package orderstore

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/index"
)

// The dead letter's record: which versions failed for good, kept by us
// rather than by Asynq, whose archive holds at most 10,000 tasks across
// all adapters and so drops old dead letters when one adapter fails a lot
// (docs/GUARANTEES.md: the dead letter has no size cap). Per adapter:
//
//   - ixDead, a sorted set of dead-letter ids scored by the failure's time
//     in Unix milliseconds: the list, in order, and the count;
//   - ixDeadEntry + id, the entry itself (a DeadLetter as JSON), expiring
//     with the retention. It is kept apart from the order's document
//     because the order moves on: a request answered after its sync
//     failed has a new version, and the failed one is still listed.
//
// Both are written by the compare-and-set that stores the version as
// failed, and removed by the one that revives it (indexOps, deadOps), so
// the list and the order view never disagree. Entries leave after the
// store's retention (90 days), like the console's indexes.
const (
	ixDead      = "dead"
	ixDeadEntry = "deadentry"
)

// DeadLetter is a sync that exhausted its attempts or failed permanently:
// an entry of the record, as dlq list and the console show it.
type DeadLetter struct {
	ID        string    `json:"id"`
	Adapter   string    `json:"adapter"`
	OrderID   string    `json:"order_id"`
	RequestID string    `json:"request_id"`
	Version   int64     `json:"version"`
	Attempts  int       `json:"attempts"`
	FailedAt  time.Time `json:"failed_at"`
	LastError string    `json:"last_error"`
}

// DeadLetterID names the dead letter of round round of version's sync. It
// is also the id of the version's task in Asynq's archive (Syncer.deadLetter),
// so that asynqmon and dlq list show one id, and ids of the previous
// release's dead letters are the same.
func DeadLetterID(adapterID, orderID string, version int64, round int) string {
	return TaskID("dead", adapterID, orderID, itoa(version), itoa(int64(round)))
}

// taskOrder is the adapter and order a task id of TaskID names (its first
// two parts): a dead letter's, or that of a sync task Asynq archived
// itself (archive.go).
func taskOrder(id string) (adapterID, orderID string, ok bool) {
	_, rest, ok := strings.Cut(id, ".")
	if !ok {
		return "", "", false
	}
	_, tail, ok := strings.Cut(rest, ".")
	if !ok {
		return "", "", false
	}
	var parts [2]string
	for i := range parts {
		j := strings.IndexByte(tail, ':')
		if j <= 0 {
			return "", "", false
		}
		n, err := strconv.Atoi(tail[:j])
		if err != nil || n < 0 || j+1+n > len(tail) {
			return "", "", false
		}
		parts[i], tail = tail[j+1:j+1+n], tail[j+1+n:]
	}
	return parts[0], parts[1], true
}

// TaskOrder is the adapter and order of a dead letter's or sync task's
// id (DeadLetterID, and the sync ids of package tasks).
func TaskOrder(id string) (adapterID, orderID string, ok bool) { return taskOrder(id) }

func hasDead(ds []index.DeadFact, d index.DeadFact) bool {
	for _, x := range ds {
		if x.Req == d.Req && x.Version == d.Version && x.Round == d.Round {
			return true
		}
	}
	return false
}

// deadOps records the versions that failed in this change and forgets
// those revived in it. A failed version whose request has moved on to a
// newer state keeps its entry: it is still a sync that failed, replayable
// until replayed (then only removed) or past the retention.
func deadOps(tag, adapterID, orderID string, before, next []index.DeadFact, after *order.Doc, now time.Time, retention time.Duration, trim func(key string) bool) []index.Op {
	var ops []index.Op
	key := ixKey(tag, ixDead)
	for _, d := range before {
		if hasDead(next, d) {
			continue
		}
		if r := after.AtVersion(d.Version); r != nil && r.ID == d.Req {
			id := DeadLetterID(adapterID, orderID, d.Version, d.Round)
			ops = append(ops, index.Op{Op: "zr", Key: key, A: id}, index.Op{Op: "ul", Key: ixKey(tag, ixDeadEntry, id)})
		}
	}
	at := now.UTC().Truncate(time.Millisecond)
	for _, d := range next {
		if hasDead(before, d) {
			continue
		}
		id := DeadLetterID(adapterID, orderID, d.Version, d.Round)
		entry, _ := json.Marshal(DeadLetter{ID: id, Adapter: adapterID, OrderID: orderID, RequestID: d.Req,
			Version: d.Version, Attempts: d.Attempts, FailedAt: at, LastError: d.Err})
		ops = append(ops,
			index.Op{Op: "za", Key: key, A: itoa(ms(at)), B: id},
			index.Op{Op: "sv", Key: ixKey(tag, ixDeadEntry, id), A: string(entry), B: itoa(ms(at.Add(retention)))},
			index.Op{Op: "sa", Key: deadAdaptersKey, A: adapterID})
		if trim == nil || trim(key) {
			ops = append(ops, index.Op{Op: "zt", Key: key, A: itoa(ms(now.Add(-retention)))})
		}
	}
	return ops
}

// deadPage is how many ids a read of the record takes at a time.
const deadPage = 500

// recordOf reads one adapter's dead letters failed at or after cutoff
// (Unix ms), oldest first: each bucket's a page at a time, merged.
func (s *Store) recordOf(ctx context.Context, adapterID string, cutoff int64) ([]DeadLetter, error) {
	out := []DeadLetter{}
	for _, tag := range s.l.tags(adapterID) {
		page, err := s.recordIn(ctx, tag, cutoff)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	if len(s.l.tags(adapterID)) > 1 {
		slices.SortStableFunc(out, func(a, b DeadLetter) int {
			if c := a.FailedAt.Compare(b.FailedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	return out, nil
}

// recordIn reads the dead letters of one tag's record (keys.go).
func (s *Store) recordIn(ctx context.Context, tag string, cutoff int64) ([]DeadLetter, error) {
	var out []DeadLetter
	key := ixKey(tag, ixDead)
	// The next page starts at the last score read, past the ids already
	// read at that score: an entry replayed meanwhile can shift only the
	// ids of that one score, not every later page.
	from, skip := cutoff, int64(0)
	for {
		zs, err := s.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{
			Min: itoa(from), Max: "+inf", Offset: skip, Count: deadPage}).Result()
		if err != nil {
			return nil, err
		}
		if len(zs) == 0 {
			return out, nil
		}
		keys := make([]string, len(zs))
		for i, z := range zs {
			keys[i] = ixKey(tag, ixDeadEntry, z.Member.(string))
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			str, ok := v.(string)
			if !ok {
				continue // expired with its retention, not yet trimmed
			}
			var l DeadLetter
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

// deadTag is the tag of the record that holds dead letter id.
func (s *Store) deadTag(id string) (string, bool) {
	adapterID, orderID, ok := taskOrder(id)
	if !ok {
		return "", false
	}
	return s.l.tag(adapterID, orderID), true
}

// recordGet reads one entry of the record; ErrNotFound when it is not
// there or past the retention.
func (s *Store) recordGet(ctx context.Context, id string, cutoff int64) (DeadLetter, error) {
	tag, ok := s.deadTag(id)
	if !ok {
		return DeadLetter{}, ErrNotFound
	}
	score, err := s.rdb.ZScore(ctx, ixKey(tag, ixDead), id).Result()
	if errors.Is(err, redis.Nil) || err == nil && int64(score) < cutoff {
		return DeadLetter{}, ErrNotFound
	}
	if err != nil {
		return DeadLetter{}, err
	}
	raw, err := s.rdb.Get(ctx, ixKey(tag, ixDeadEntry, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return DeadLetter{}, ErrNotFound
	}
	if err != nil {
		return DeadLetter{}, err
	}
	var l DeadLetter
	if err := json.Unmarshal(raw, &l); err != nil {
		return DeadLetter{}, err
	}
	return l, nil
}

// DeadLetterCutoff is the oldest failure time still in the dead letter:
// entries leave after the store's retention, like the console's indexes.
func (s *Store) DeadLetterCutoff() time.Time {
	return s.now().Add(-s.retention())
}

func (s *Store) deadCutoff() int64 { return ms(s.DeadLetterCutoff()) }

// DeadLetterAdapters lists the adapters that have had a dead letter.
func (s *Store) DeadLetterAdapters(ctx context.Context) ([]string, error) {
	return s.rdb.SMembers(ctx, deadAdaptersKey).Result()
}

// DeadLettersOf reads one adapter's dead letters within the retention,
// oldest failure first.
func (s *Store) DeadLettersOf(ctx context.Context, adapterID string) ([]DeadLetter, error) {
	return s.recordOf(ctx, adapterID, s.deadCutoff())
}

// DeadLetter reads one entry of the record; ErrNotFound when it is not
// there or past the retention.
func (s *Store) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	return s.recordGet(ctx, id, s.deadCutoff())
}

// AddDeadLetter puts l in the record, as the compare-and-set does, for a
// dead letter it did not write (one adopted from Asynq's archive). The
// adapter joins the set of adapters with dead letters first, on its own:
// on a cluster that set is in another hash slot.
func (s *Store) AddDeadLetter(ctx context.Context, l DeadLetter) error {
	entry, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := s.rdb.SAdd(ctx, deadAdaptersKey, l.Adapter).Err(); err != nil {
		return err
	}
	tag := s.l.tag(l.Adapter, l.OrderID)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, ixKey(tag, ixDead), redis.Z{Score: float64(ms(l.FailedAt)), Member: l.ID})
		p.Set(ctx, ixKey(tag, ixDeadEntry, l.ID), entry, 0)
		p.PExpireAt(ctx, ixKey(tag, ixDeadEntry, l.ID), l.FailedAt.Add(s.retention()))
		return nil
	})
	return err
}

// RemoveDeadLetter takes l out of the record: a replay of a version that
// is no longer failed (answered since, or acknowledged) revives nothing,
// so no compare-and-set removes it.
func (s *Store) RemoveDeadLetter(ctx context.Context, l DeadLetter) error {
	tag := s.l.tag(l.Adapter, l.OrderID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, ixKey(tag, ixDead), l.ID)
		p.Unlink(ctx, ixKey(tag, ixDeadEntry, l.ID))
		return nil
	})
	return err
}

// DeadLetterCount is the number of dead letters within the retention,
// exactly, in one round trip after the adapters' list.
func (s *Store) DeadLetterCount(ctx context.Context) (int, error) {
	ids, err := s.DeadLetterAdapters(ctx)
	if err != nil {
		return 0, err
	}
	from := itoa(s.deadCutoff())
	var cmds []*redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			for _, tag := range s.l.tags(id) {
				cmds = append(cmds, p.ZCount(ctx, ixKey(tag, ixDead), from, "+inf"))
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
