package orderstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
)

// TestStoreFormatAtStart: an empty Redis is a new installation and is
// compact at once; one holding anything (a previous release's data) stays
// JSON until SetFormat, which cannot be undone; a format this release does
// not know is an error, not a guess.
func TestStoreFormatAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	fresh := redistest.Start(t, redistest.Options{}).Client()
	f, err := InitFormat(ctx, fresh)
	if err != nil || f.Format != order.FormatCompact || f.Since.IsZero() {
		t.Fatalf("empty store: %+v %v, want compact", f, err)
	}
	if s := NewStore(fresh); s.format() != order.FormatCompact || s.lockMode() != "doc" {
		t.Fatalf("a new store writes %d with locks %q, want compact with doc (no lock key was ever taken in it)", s.format(), s.lockMode())
	}

	used := redistest.Start(t, redistest.Options{}).Client()
	used.Set(ctx, "cancelsync:order:{a:o1}", `{"v":1}`, 0)
	if f, err := InitFormat(ctx, used); err != nil || f.Format != order.FormatJSON {
		t.Fatalf("store with data: %+v %v, want JSON", f, err)
	}
	s := NewStore(used)
	if s.format() != order.FormatJSON || s.lockMode() != "key" {
		t.Fatalf("upgraded store writes %d with locks %q", s.format(), s.lockMode())
	}
	if f, err := SetFormat(ctx, used, order.FormatCompact); err != nil || f.Format != order.FormatCompact {
		t.Fatalf("switch: %+v %v", f, err)
	}
	if _, err := SetFormat(ctx, used, order.FormatJSON); err == nil {
		t.Fatal("a compact store went back to JSON")
	}
	used.Set(ctx, formatKey, "3 1700000000000", 0)
	if _, err := ReadFormat(ctx, used); err == nil || !strings.Contains(err.Error(), "not one this release writes") {
		t.Fatalf("unknown format: %v", err)
	}
}

// TestSyncLockInTheDocument: on a compact store the compare-and-set that
// stores a decision takes the order's sync lock as a header of the
// document, with no key of its own; the one that stores the answer
// releases it; while it is held, another sync finds the order busy, and
// the document reads the same.
func TestSyncLockInTheDocument(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	s := NewStore(rdb)
	s.forceFormat = order.FormatCompact
	ctx := context.Background()
	set := func(doc *order.Doc) bool { doc.Version++; return true }

	_, st, err := s.Change(ctx, "a", "o1", nil, set, TakeLock("tok-1", nil))
	if err != nil || !st.Locked() {
		t.Fatalf("take: %v locked=%v", err, st.Locked())
	}
	raw := rdb.Get(ctx, layout{}.orderKey("a", "o1")).Val()
	if !strings.HasPrefix(raw, "~tok-1 ") || rdb.Exists(ctx, layout{}.syncLockKey("a", "o1")).Val() != 0 {
		t.Fatalf("lock not in the document: %q", raw)
	}
	lock := s.Held(ctx, "a", "o1", st)
	if _, _, err := s.LockAndLoad(ctx, "a", "o1", 0); !errors.Is(err, ErrSyncBusy) {
		t.Fatalf("second sync while held: %v", err)
	}
	doc, err := s.Load(ctx, "a", "o1")
	if err != nil || doc.Version != 1 {
		t.Fatalf("document under its lock: %+v %v", doc, err)
	}
	// A change that does not touch the lock keeps it.
	if _, _, err := s.Change(ctx, "a", "o1", nil, set); err != nil {
		t.Fatal(err)
	}
	if raw := rdb.Get(ctx, layout{}.orderKey("a", "o1")).Val(); !strings.HasPrefix(raw, "~tok-1 ") {
		t.Fatalf("another change dropped the lock: %q", raw)
	}
	if _, _, err := s.Change(ctx, "a", "o1", nil, set, ReleaseLock(lock)); err != nil {
		t.Fatal(err)
	}
	lock.Unlock()
	if raw := rdb.Get(ctx, layout{}.orderKey("a", "o1")).Val(); strings.HasPrefix(raw, "~") {
		t.Fatalf("released lock still there: %q", raw)
	}
	l2, st2, err := s.LockAndLoad(ctx, "a", "o1", 0)
	if err != nil || !st2.present {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Unlock()
	if raw := rdb.Get(ctx, layout{}.orderKey("a", "o1")).Val(); strings.HasPrefix(raw, "~") || raw == "" {
		t.Fatalf("unlock left %q", raw)
	}
}

// TestLocksAcrossTheSwitch: in the minutes after a switch to compact, a
// process still writing JSON (its lock a key) and one writing compact
// (its lock a header) never hold one order's lock at once.
func TestLocksAcrossTheSwitch(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ctx := context.Background()
	rdb.Set(ctx, "cancelsync:order:{a:seed}", `{"v":1}`, 0)
	old := NewStore(rdb) // read JSON before the switch
	if old.lockMode() != "key" {
		t.Fatalf("before the switch: %q", old.lockMode())
	}
	if _, err := SetFormat(ctx, rdb, order.FormatCompact); err != nil {
		t.Fatal(err)
	}
	next := NewStore(rdb)
	if next.lockMode() != "doc+key" {
		t.Fatalf("just after the switch: %q", next.lockMode())
	}
	set := func(doc *order.Doc) bool { doc.Version++; return true }

	// JSON holder first: the compact one waits.
	keyLock, _, err := old.LockAndLoad(ctx, "a", "o1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := next.LockAndLoad(ctx, "a", "o1", 0); !errors.Is(err, ErrSyncBusy) {
		t.Fatalf("compact sync beside a lock key: %v", err)
	}
	if _, st, err := next.Change(ctx, "a", "o1", nil, set, TakeLock("tok-c", nil)); err != nil || st.Locked() {
		t.Fatalf("compact change took a lock held by key: %v %v", err, st.Locked())
	}
	keyLock.Unlock()

	// Compact holder first: the JSON one waits.
	docLock, _, err := next.LockAndLoad(ctx, "a", "o1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := old.LockAndLoad(ctx, "a", "o1", 0); !errors.Is(err, ErrSyncBusy) {
		t.Fatalf("JSON sync beside a header lock: %v", err)
	}
	if _, st, err := old.Change(ctx, "a", "o1", nil, set, TakeLock("tok-j", nil)); err != nil || st.Locked() {
		t.Fatalf("JSON change took a lock held in the document: %v %v", err, st.Locked())
	}
	if raw := rdb.Get(ctx, layout{}.orderKey("a", "o1")).Val(); !strings.HasPrefix(raw, "~"+docLock.token+" ") {
		t.Fatalf("a JSON writer dropped the header lock: %q", raw)
	}
	docLock.Unlock()
	if _, _, err := old.LockAndLoad(ctx, "a", "o1", 0); err != nil {
		t.Fatalf("after the compact holder let go: %v", err)
	}
}

// TestAnExpiredHeaderLockIsTakenOver: a holder that crashed leaves its
// header; once it expires the next sync takes the order.
func TestAnExpiredHeaderLockIsTakenOver(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	s := NewStore(rdb)
	s.forceFormat = order.FormatCompact
	ctx := context.Background()
	past := time.Now().Add(-time.Second).UnixMilli()
	rdb.Set(ctx, layout{}.orderKey("a", "o1"), "~crashed "+itoa(past)+"\n"+`{"v":3}`, 0)
	l, st, err := s.LockAndLoad(ctx, "a", "o1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	doc, err := st.Decoded("a", "o1")
	if err != nil || doc.Version != 3 {
		t.Fatalf("document under an expired lock: %+v %v", doc, err)
	}
}
