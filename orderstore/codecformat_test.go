package orderstore

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/order/ordertest"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// TestStoreReadsBothFormats: on a real redis-server, an order written in
// one format is read through every path the store has (Load, Read,
// OrderView, LockAndLoad, UnlockedDocs, Preview, the console's Docs) by a
// store writing the other, which changes it and writes it in its own; the
// first reads that back. So a fleet reads what any of its processes
// writes while the format is switched, either way.
func TestStoreReadsBothFormats(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	ad := &platform.Adapter{ID: "t-selfservice", Platform: "selfservice", Rules: selfservice.Policy{}}
	ctx := context.Background()
	for _, from := range formats {
		for _, to := range formats {
			t.Run(from.name+" then "+to.name, func(t *testing.T) {
				orderID := "o-" + from.name + "-" + to.name
				writer, reader := inFormat(NewStore(rdb), from.format), inFormat(NewStore(rdb), to.format)
				now := time.Now()
				apply := func(s *Store, webhookID string, ev platform.Event) *order.Doc {
					t.Helper()
					doc, err := s.Update(ctx, ad.ID, orderID, func(d *order.Doc) bool {
						tr := &order.Transition{Doc: d, OrderID: orderID, Adapter: ad, OrderWait: time.Minute, Now: now}
						tr.ApplyDelivery(webhookID, now, ev)
						return tr.Changed()
					})
					if err != nil {
						t.Fatal(err)
					}
					return doc
				}
				apply(writer, "w-1", ordertest.Snapshot(orderID, platform.StatusPaid, ordertest.Placed))
				written := apply(writer, "w-2", ordertest.Request(orderID, "cr-1", platform.Buyer))
				if r := written.Request("cr-1"); r == nil || r.State != platform.Cancelled || written.Format != from.format {
					t.Fatalf("written %+v", written)
				}
				raw, err := rdb.Get(ctx, writer.l.orderKey(ad.ID, orderID)).Bytes()
				if err != nil {
					t.Fatal(err)
				}
				if first := map[int]byte{order.FormatJSON: '{', order.FormatCompact: 2}[from.format]; raw[0] != first {
					t.Fatalf("stored %q, want a document starting %q", raw, first)
				}
				want := viewJSON(t, written.View(ad, orderID))

				read := map[string]*order.Doc{}
				if read["Load"], err = reader.Load(ctx, ad.ID, orderID); err != nil {
					t.Fatal(err)
				}
				st, err := reader.Read(ctx, ad.ID, orderID)
				if err != nil {
					t.Fatal(err)
				}
				if read["Read"], err = st.Decoded(ad.ID, orderID); err != nil {
					t.Fatal(err)
				}
				lock, locked, err := reader.LockAndLoad(ctx, ad.ID, orderID, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if read["LockAndLoad"], err = locked.Decoded(ad.ID, orderID); err != nil {
					t.Fatal(err)
				}
				lock.Unlock()
				docs, err := reader.UnlockedDocs(ctx, ad.ID, []string{orderID})
				if err != nil {
					t.Fatal(err)
				}
				read["UnlockedDocs"] = docs[0]
				if docs, err = (source{reader.l, reader}).Docs(ctx, ad.ID, []string{orderID}); err != nil {
					t.Fatal(err)
				}
				read["Docs"] = docs[0]
				for path, d := range read {
					if d == nil || d.Format != from.format {
						t.Fatalf("%s read %+v, want format %d", path, d, from.format)
					}
					if got := viewJSON(t, d.View(ad, orderID)); got != want {
						t.Errorf("%s reads the view\n%s\nwant\n%s", path, got, want)
					}
				}
				if got, err := reader.OrderView(ctx, ad, orderID); err != nil || viewJSON(t, got) != want {
					t.Errorf("OrderView %v:\n%s\nwant\n%s", err, viewJSON(t, got), want)
				}
				p, err := reader.Preview(ctx, ad, orderID, platform.Cancellation{Initiator: platform.Buyer}, now)
				if err != nil || p.Would.State != platform.Denied || p.Would.DenialReason != platform.AlreadyCancelled {
					t.Errorf("preview %+v %v, want denied already_cancelled", p, err)
				}

				// The reader acknowledges the sync: written in its format,
				// read back by the writer.
				acked, err := reader.Update(ctx, ad.ID, orderID, func(d *order.Doc) bool {
					d.Acked = 1
					d.Requests[0].Sync, d.Requests[0].Attempts = order.SyncSynced, 1
					return true
				})
				if err != nil || acked.Format != to.format {
					t.Fatalf("acknowledged in format %d (%v), want %d", acked.Format, err, to.format)
				}
				back, err := writer.Load(ctx, ad.ID, orderID)
				if err != nil {
					t.Fatal(err)
				}
				if back.Format != to.format || back.Acked != 1 || back.Requests[0].SyncState() != order.SyncSynced {
					t.Fatalf("read back %+v", back)
				}
				if got, want := viewJSON(t, back.View(ad, orderID)), viewJSON(t, acked.View(ad, orderID)); got != want {
					t.Errorf("read back the view\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
}

func viewJSON(t *testing.T, v *order.OrderView) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStoreRefusesACorruptDocument: a stored document that decodes in
// neither format is ErrUnreadable, whichever format the store writes.
func TestStoreRefusesACorruptDocument(t *testing.T) {
	t.Parallel()
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			store, rdb := newTestStore(t)
			store = inFormat(store, f.format)
			ctx := context.Background()
			for i, raw := range []string{"{not json", "\x02\x01", "\x03\x00", ""} {
				orderID := "o-" + string(rune('a'+i))
				if err := rdb.Set(ctx, store.l.orderKey("a", orderID), raw, 0).Err(); err != nil {
					t.Fatal(err)
				}
				if _, err := store.Load(ctx, "a", orderID); !errors.Is(err, ErrUnreadable) {
					t.Errorf("%q: %v, want ErrUnreadable", raw, err)
				}
			}
		})
	}
}
