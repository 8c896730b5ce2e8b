package orderstore

import (
	"context"
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

// formats are the document formats the store's scenarios run in: each
// store writes its own (forceFormat) and reads both.
var formats = []struct {
	name   string
	format int
}{{"json", order.FormatJSON}, {"compact", order.FormatCompact}}

// inFormat is s writing format.
func inFormat(s *Store, format int) *Store {
	s.ForceFormat(format)
	return s
}

// TestChangeThatFailsLeavesTheCallersDocument: a change handed a decoded
// document works on a copy, so a store that fails leaves the caller's
// document as it is stored.
func TestChangeThatFailsLeavesTheCallersDocument(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			mr := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
			t.Cleanup(func() { _ = rdb.Close() })
			store := inFormat(NewStore(rdb), f.format)
			ctx := context.Background()
			doc, err := store.Update(ctx, "t-selfservice", "o-1", func(d *order.Doc) bool {
				d.Requests = append(d.Requests, order.Request{ID: "r-1", State: platform.Cancelled, Version: 1})
				d.Version = 1
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Format != f.format {
				t.Fatalf("stored in format %d, want %d", doc.Format, f.format)
			}
			mr.Close() // Redis goes away: the change cannot be stored
			raw, err := doc.AppendEncoded(nil, f.format)
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
		})
	}
}

// TestChangeOnAStaleDocumentDecidesAgain: the compare-and-set compares the
// stored document with the one the caller read by its digest, on a real
// redis-server (whose redis.sha1hex the digest must match, a compact
// document's bytes as well as JSON's): a stale read is refused and
// decided again on the document that is there, and a current one stores
// at the first try.
func TestChangeOnAStaleDocumentDecidesAgain(t *testing.T) {
	t.Parallel()
	for name, rdb := range map[string]redis.UniversalClient{
		"redis-server": redistest.Start(t, redistest.Options{}).Client(),
		"miniredis":    func() redis.UniversalClient { _, c := newTestStore(t); return c }(),
	} {
		for _, f := range formats {
			t.Run(name+"/"+f.name, func(t *testing.T) {
				store := inFormat(NewStore(rdb), f.format)
				ctx := context.Background()
				orderID := "o-" + f.name
				add := func(id string) func(d *order.Doc) bool {
					return func(d *order.Doc) bool {
						d.Requests = append(d.Requests, order.Request{ID: id, State: platform.Cancelled, Version: d.Version + 1})
						d.Version++
						return true
					}
				}
				_, read, err := store.Change(ctx, "t-selfservice", orderID, nil, add("r-1"))
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := store.Change(ctx, "t-selfservice", orderID, nil, add("r-2")); err != nil {
					t.Fatal(err)
				}
				runs := 0
				stale := read
				stale.doc = nil
				doc, now, err := store.Change(ctx, "t-selfservice", orderID, &stale, func(d *order.Doc) bool {
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
				if _, _, err := store.Change(ctx, "t-selfservice", orderID, &now, func(d *order.Doc) bool {
					runs++
					return add("r-4")(d)
				}); err != nil || runs != 1 {
					t.Fatalf("current read: fn ran %d times (%v); want once", runs, err)
				}
				raw, err := rdb.Get(ctx, layout{}.orderKey("t-selfservice", orderID)).Bytes()
				if err != nil {
					t.Fatal(err)
				}
				if first := map[int]byte{order.FormatJSON: '{', order.FormatCompact: 2}[f.format]; raw[0] != first {
					t.Fatalf("stored %q, want a document starting %q", raw, first)
				}
			})
		}
	}
}
