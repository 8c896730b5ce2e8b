package orderstore

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// newTestStore is a store on miniredis, and its client.
func newTestStore(t *testing.T) (*Store, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return NewStore(rdb), rdb
}

// TestChangeThatFailsLeavesTheCallersDocument: a change handed a decoded
// document works on a copy, so a store that fails leaves the caller's
// document as it is stored.
func TestChangeThatFailsLeavesTheCallersDocument(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	store := NewStore(rdb)
	ctx := context.Background()
	doc, err := store.Update(ctx, "t-selfservice", "o-1", func(d *order.Doc) bool {
		d.Requests = append(d.Requests, order.Request{ID: "r-1", State: platform.Cancelled, Version: 1})
		d.Version = 1
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	mr.Close() // Redis goes away: the change cannot be stored
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cur := Stored{raw: raw, present: true, doc: doc}
	_, _, err = store.Change(ctx, "t-selfservice", "o-1", &cur, func(d *order.Doc) bool {
		d.Acked = 1
		d.Requests[0].Sync, d.Requests[0].Attempts = order.SyncSynced, 1
		return true
	})
	if err == nil {
		t.Fatal("the store did not fail")
	}
	if doc.Acked != 0 || doc.Requests[0].Sync != "" || doc.Requests[0].Attempts != 0 {
		t.Fatalf("a change that was not stored is in the caller's document: acked %d, sync %q, attempts %d",
			doc.Acked, doc.Requests[0].Sync, doc.Requests[0].Attempts)
	}
}

// TestChangeOnAStaleDocumentDecidesAgain: the compare-and-set compares the
// stored document with the one the caller read by its digest, on a real
// redis-server (whose redis.sha1hex the digest must match): a stale read is
// refused and decided again on the document that is there, and a current
// one stores at the first try.
func TestChangeOnAStaleDocumentDecidesAgain(t *testing.T) {
	t.Parallel()
	for name, rdb := range map[string]redis.UniversalClient{
		"redis-server": redistest.Start(t, redistest.Options{}).Client(),
		"miniredis":    func() redis.UniversalClient { _, c := newTestStore(t); return c }(),
	} {
		t.Run(name, func(t *testing.T) {
			store := NewStore(rdb)
			ctx := context.Background()
			add := func(id string) func(d *order.Doc) bool {
				return func(d *order.Doc) bool {
					d.Requests = append(d.Requests, order.Request{ID: id, State: platform.Cancelled, Version: d.Version + 1})
					d.Version++
					return true
				}
			}
			_, read, err := store.Change(ctx, "t-selfservice", "o-1", nil, add("r-1"))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.Change(ctx, "t-selfservice", "o-1", nil, add("r-2")); err != nil {
				t.Fatal(err)
			}
			runs := 0
			stale := read
			stale.doc = nil
			doc, now, err := store.Change(ctx, "t-selfservice", "o-1", &stale, func(d *order.Doc) bool {
				runs++
				return add("r-3")(d)
			})
			if err != nil {
				t.Fatal(err)
			}
			if runs != 2 || doc.Version != 3 || len(doc.Requests) != 3 {
				t.Fatalf("stale read: fn ran %d times, version %d, %d requests; want 2, 3, 3", runs, doc.Version, len(doc.Requests))
			}
			runs = 0
			now.doc = nil
			if _, _, err := store.Change(ctx, "t-selfservice", "o-1", &now, func(d *order.Doc) bool {
				runs++
				return add("r-4")(d)
			}); err != nil || runs != 1 {
				t.Fatalf("current read: fn ran %d times (%v); want once", runs, err)
			}
		})
	}
}
