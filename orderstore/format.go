package orderstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
)

// The store's format is what every process of the fleet writes
// (docs/OPERATIONS.md, "Store format"): order.FormatJSON, the previous
// releases' documents with the sync lock in a key of its own and three
// console index entries per request, which a previous release's process
// still running beside this one reads; or order.FormatCompact, compact
// documents holding their own sync lock and one index entry per request,
// which only this release reads. It is one key in Redis: absent (every
// store before this release) is JSON; "2 <unix ms>" is compact since
// then. A store found empty at start-up gets compact at once (InitFormat);
// ("2 <unix ms> fresh": no lock key was ever taken in it);
// any other switches when the operator says every process runs this
// release (SetFormat, `cancelsync store upgrade`). Every release from this
// one reads both, whatever it writes.
const formatKey = "cancelsync:store:format"

// FormatRecheck is how often a process looks at the store's format again:
// within it of a switch, every process writes the new format.
const FormatRecheck = 5 * time.Second

// keyLockOverlap is how long after a switch to compact a process taking an
// order's sync lock in its document also looks for a lock key that a
// process still writing JSON took: FormatRecheck for every process to see
// the switch, then room for a push that took its lock key just before
// (api.timeout, renewed every lockTTL/3) to finish.
const keyLockOverlap = 2 * time.Minute

// fleetFormat is the store's format as this process last read it.
type fleetFormat struct {
	format int
	since  time.Time // when it became compact (zero for JSON)
	// fresh: compact from the start (an empty store), so no process ever
	// took a lock key in it
	fresh bool
	set   bool      // the key is there (absent: JSON, as every earlier store)
	read  time.Time // when this process read it
}

type formatState struct {
	cur        atomic.Pointer[fleetFormat]
	refreshing atomic.Bool
	initMu     sync.Mutex
}

// ForceFormat makes the store write documents in format (order.FormatJSON,
// order.FormatCompact), and so take locks and index requests the way that
// format does, whatever the store's format says; 0 goes back to it. For
// tests and benchmarks; call it before the store is used.
func (s *Store) ForceFormat(format int) { s.forceFormat = format }

// writing is how a change of this store writes: the document format, and
// how it takes an order's sync lock (lock.go): "key" in a key of its own,
// "doc" in the document, or "doc+key" in the document while also
// respecting a lock key (shortly after the switch to compact). Both come
// from one read of the store's format, so they never disagree across a
// switch. That format is read at most every FormatRecheck (in the
// background after the first read, so no change waits for it).
func (s *Store) writing() (format int, lockMode string) {
	switch {
	case s.forceFormat == order.FormatCompact:
		return order.FormatCompact, "doc"
	case s.forceFormat != 0:
		return s.forceFormat, "key"
	}
	f := s.fleet()
	switch {
	case f.format != order.FormatCompact:
		return f.format, "key"
	case !f.fresh && time.Since(f.since) < keyLockOverlap:
		return f.format, "doc+key"
	}
	return f.format, "doc"
}

// format is the document format this store writes now (writing).
func (s *Store) format() int {
	f, _ := s.writing()
	return f
}

// fleet is the store's format as last read, reading it when it is due.
func (s *Store) fleet() fleetFormat {
	now := time.Now()
	cur := s.fleetFmt.cur.Load()
	if cur == nil {
		s.fleetFmt.initMu.Lock()
		if cur = s.fleetFmt.cur.Load(); cur == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			f, err := readFormat(ctx, s.rdb)
			cancel()
			if err != nil { // Redis down: JSON, what every release reads; read again soon
				f = fleetFormat{format: order.FormatJSON}
			}
			f.read = now
			if err != nil {
				f.read = now.Add(-FormatRecheck + time.Second)
			}
			cur = &f
			s.fleetFmt.cur.Store(cur)
		}
		s.fleetFmt.initMu.Unlock()
		return *cur
	}
	if now.Sub(cur.read) >= FormatRecheck && s.fleetFmt.refreshing.CompareAndSwap(false, true) {
		go func() {
			defer s.fleetFmt.refreshing.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			f, err := readFormat(ctx, s.rdb)
			if err != nil {
				return // keep what it was; try again at the next change
			}
			if old := s.fleetFmt.cur.Load(); old != nil && old.format > f.format {
				// Never back: a store switched to compact holds documents a
				// JSON-only reader cannot read (SetFormat refuses it too).
				f = *old
			}
			f.read = time.Now()
			s.fleetFmt.cur.Store(&f)
		}()
	}
	return *cur
}

// lockMode is how a sync of this store takes an order's sync lock
// (writing).
func (s *Store) lockMode() string {
	_, m := s.writing()
	return m
}

func readFormat(ctx context.Context, rdb redis.UniversalClient) (fleetFormat, error) {
	v, err := rdb.Get(ctx, formatKey).Result()
	if errors.Is(err, redis.Nil) {
		return fleetFormat{format: order.FormatJSON}, nil
	}
	if err != nil {
		return fleetFormat{}, err
	}
	f, err := parseFormat(v)
	f.set = err == nil
	return f, err
}

func parseFormat(v string) (fleetFormat, error) {
	n, at, _ := strings.Cut(v, " ")
	at, how, _ := strings.Cut(at, " ")
	switch n {
	case "1":
		return fleetFormat{format: order.FormatJSON}, nil
	case "2":
		ms, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			return fleetFormat{}, fmt.Errorf("store format %q: %w", v, err)
		}
		return fleetFormat{format: order.FormatCompact, since: time.UnixMilli(ms), fresh: how == "fresh"}, nil
	}
	// A later release's format: this one cannot write what it reads.
	return fleetFormat{}, fmt.Errorf("store format %q is not one this release writes (1 or 2): run the release that set it", v)
}

// StoreFormat is the store's format as `cancelsync store` reports it.
type StoreFormat struct {
	Format int       // order.FormatJSON or order.FormatCompact
	Since  time.Time // when it became compact
}

// ReadFormat reads the store's format.
func ReadFormat(ctx context.Context, rdb redis.UniversalClient) (StoreFormat, error) {
	f, err := readFormat(ctx, rdb)
	return StoreFormat{Format: f.format, Since: f.since}, err
}

// InitFormat reads the store's format at a process's start, and makes a
// store that is empty (no key at all: a new installation) compact at once,
// since no process of an earlier release can be using it. It returns the
// format this process will write.
func InitFormat(ctx context.Context, rdb redis.UniversalClient) (StoreFormat, error) {
	f, err := readFormat(ctx, rdb)
	if err != nil || f.format == order.FormatCompact {
		return StoreFormat{Format: f.format, Since: f.since}, err
	}
	if f.set {
		return StoreFormat{Format: f.format}, nil // JSON on purpose ("1"): leave it
	}
	empty, err := storeEmpty(ctx, rdb)
	if err != nil || !empty {
		return StoreFormat{Format: order.FormatJSON}, err
	}
	if err := rdb.SetNX(ctx, formatKey, compactValue(time.Now())+" fresh", 0).Err(); err != nil {
		return StoreFormat{Format: order.FormatJSON}, err
	}
	return ReadFormat(ctx, rdb)
}

// SetFormat switches the store to compact: from then on every process
// writes compact documents (within FormatRecheck). It is for when no
// process of a release before this one is running; there is no way back,
// as a previous release cannot read what is then written.
func SetFormat(ctx context.Context, rdb redis.UniversalClient, format int) (StoreFormat, error) {
	cur, err := ReadFormat(ctx, rdb)
	if err != nil {
		return cur, err
	}
	switch {
	case format == cur.Format:
		return cur, nil
	case format != order.FormatCompact:
		return cur, fmt.Errorf("the store is compact since %s: a store cannot go back to JSON (a previous release cannot read its documents)", cur.Since.UTC().Format(time.RFC3339))
	}
	if err := rdb.Set(ctx, formatKey, compactValue(time.Now()), 0).Err(); err != nil {
		return cur, err
	}
	return ReadFormat(ctx, rdb)
}

func compactValue(at time.Time) string { return "2 " + strconv.FormatInt(at.UnixMilli(), 10) }

// storeEmpty reports whether Redis holds no key at all (every master of
// a cluster).
func storeEmpty(ctx context.Context, rdb redis.UniversalClient) (bool, error) {
	if c, ok := rdb.(*redis.ClusterClient); ok {
		var keys atomic.Int64
		err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			n, err := m.DBSize(ctx).Result()
			keys.Add(n)
			return err
		})
		return keys.Load() == 0, err
	}
	n, err := rdb.DBSize(ctx).Result()
	return n == 0, err
}
