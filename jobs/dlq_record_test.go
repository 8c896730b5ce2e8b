package jobs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// failSync gives adapterID a new order whose version 1 then fails for
// good, by the steps a push's last failure takes (Syncer.run): archived,
// then recorded failed by the compare-and-set.
func failSync(t testing.TB, b *bundle, adapterID, orderID string) {
	t.Helper()
	ctx := context.Background()
	ad := b.adapters[adapterID]
	doc, cur, err := b.store.Change(ctx, adapterID, orderID, nil, func(d *order.Doc) bool {
		d.Requests = append(d.Requests, order.Request{ID: "cr-" + orderID, Initiator: platform.Buyer, Reason: "other",
			OccurredAt: time.Now().UTC(), State: platform.Cancelled, Version: 1})
		d.Version = 1
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	sy := b.worker.syncer
	r := doc.AtVersion(1)
	if err := sy.Archive(ctx, ad, orderID, r.Update(orderID), r.Round, 1, "HTTP 400: nope"); err != nil {
		t.Fatal(err)
	}
	if _, err := sy.RecordFailure(ctx, ad, orderID, cur, nil, 1, "HTTP 400: nope", time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// One adapter's failures past the cap of Asynq's archive (10,000, which
// Asynq does not let us lower) push nobody's dead letter out: adapter B's
// one failure, evicted from the archive by adapter A's 10,100, is still
// listed, counted exactly, and replayable.
func TestDeadLetterHasNoSizeCap(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10,100 dead letters")
	}
	b := setup(t, setupOpts{real: true, noServer: true})
	ctx := context.Background()
	const A, B, many = "t-selfservice", "t-aliexpress", 10_100
	failSync(t, b, B, "o-b")
	bLetters, err := b.dlq.ListAdapter(ctx, B)
	if err != nil || len(bLetters) != 1 {
		t.Fatalf("B's dead letter before A's failures: %+v, %v", bLetters, err)
	}
	bl := bLetters[0]
	// Asynq's archive is scored in whole seconds and trims the lowest
	// ranks: A's failures start in a later second than B's, so B's is the
	// oldest there.
	for sec := time.Now().Unix(); time.Now().Unix() == sec; {
		time.Sleep(10 * time.Millisecond)
	}

	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				failSync(t, b, A, fmt.Sprintf("o-a%05d", i))
			}
		})
	}
	for i := range many {
		work <- i
	}
	close(work)
	wg.Wait()

	// What the defect was: Asynq trimmed B's entry out of its archive.
	// (Asynq's set of archived ids, that is: trimming it by rank leaves the
	// task's hash behind.)
	if err := b.rdb.ZScore(ctx, asynqArchived, bl.ID).Err(); err == nil {
		t.Fatalf("B's dead letter is still in Asynq's archive: the test did not reach the archive's cap")
	}

	got, err := b.dlq.ListAdapter(ctx, B)
	if err != nil || len(got) != 1 || got[0] != bl {
		t.Fatalf("B's dead letters after A's %d: %+v, %v; want %+v", many, got, err, bl)
	}
	if bl.Adapter != B || bl.OrderID != "o-b" || bl.RequestID != "cr-o-b" || bl.Version != 1 || bl.Attempts != 1 ||
		bl.LastError != "HTTP 400: nope" || bl.FailedAt.IsZero() {
		t.Fatalf("B's dead letter %+v", bl)
	}
	if n, err := b.dlq.Size(ctx); err != nil || n != many+1 {
		t.Fatalf("Size = %d, %v; want %d", n, err, many+1)
	}
	all, err := b.dlq.List(ctx)
	if err != nil || len(all) != many+1 {
		t.Fatalf("List: %d entries, %v; want %d", len(all), err, many+1)
	}
	if all[0] != bl {
		t.Fatalf("List's first (oldest) entry %+v, want B's %+v", all[0], bl)
	}
	if as, err := b.dlq.ListAdapter(ctx, A); err != nil || len(as) != many {
		t.Fatalf("A's dead letters: %d, %v; want %d", len(as), err, many)
	}
	if l, err := b.dlq.Get(ctx, bl.ID); err != nil || l != bl {
		t.Fatalf("Get(B's id) = %+v, %v", l, err)
	}

	replayed, err := b.dlq.Replay(ctx, []string{bl.ID})
	if err != nil || len(replayed) != 1 || replayed[0].ID != bl.ID {
		t.Fatalf("Replay(B's id) = %+v, %v", replayed, err)
	}
	doc, err := b.store.Load(ctx, B, "o-b")
	if err != nil {
		t.Fatal(err)
	}
	if r := doc.AtVersion(1); r == nil || r.Sync != "" || r.Attempts != 0 || r.Round != 1 {
		t.Fatalf("B's version after the replay: %+v, want pending with a new round", r)
	}
	if got, _ := b.dlq.ListAdapter(ctx, B); len(got) != 0 {
		t.Fatalf("B's dead letters after the replay: %+v", got)
	}
	if n, err := b.dlq.Size(ctx); err != nil || n != many {
		t.Fatalf("Size after the replay = %d, %v; want %d", n, err, many)
	}
}

// A replay makes the version pending with its full attempts again; it
// leaves the dead letter, its record and Asynq's archive, and syncs.
func TestReplayedDeadLetterSyncsAndLeaves(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	ctx := context.Background()
	b.platform.setScript(func(n int, w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadRequest); return true })
	b.deliver(t, "t-selfservice", snapshot("o-rp", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-rp", "cr-rp", platform.Buyer))
	b.waitState(t, "t-selfservice", "o-rp", platform.Cancelled, order.SyncFailed)
	var letters []orderstore.DeadLetter
	eventually(t, "dead letter", func() bool { letters, _ = b.dlq.List(ctx); return len(letters) == 1 })
	if n, err := b.dlq.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size = %d, %v; want 1", n, err)
	}
	b.platform.setScript(nil)
	if _, err := b.dlq.Replay(ctx, []string{letters[0].ID}); err != nil {
		t.Fatal(err)
	}
	v := b.waitState(t, "t-selfservice", "o-rp", platform.Cancelled, order.SyncSynced)
	if v.Sync.Attempts != 1 {
		t.Fatalf("sync after the replay %+v, want one attempt of a new round", v.Sync)
	}
	if letters, _ := b.dlq.List(ctx); len(letters) != 0 {
		t.Fatalf("dead letter after the replay: %+v", letters)
	}
	if n, err := b.dlq.Size(ctx); err != nil || n != 0 {
		t.Fatalf("Size after the replay = %d, %v; want 0", n, err)
	}
	if _, err := b.dlq.Get(ctx, letters[0].ID); !errors.Is(err, orderstore.ErrNotFound) {
		t.Fatalf("Get after the replay: %v, want orderstore.ErrNotFound", err)
	}
	if _, err := b.dlq.Replay(ctx, []string{letters[0].ID}); err == nil {
		t.Fatal("a second replay of the id succeeded")
	}
	if n := b.rdb.ZCard(ctx, ixKey("t-selfservice", ixDead)).Val(); n != 0 {
		t.Fatalf("%d ids left in the record", n)
	}
	if ts, _ := asynq.NewInspectorFromRedisClient(b.rdb).ListArchivedTasks(tasks.QueueSync); len(ts) != 0 {
		t.Fatalf("%d tasks left in Asynq's archive", len(ts))
	}
}

// A dead letter stays 90 days (the store's retention), then leaves the
// list, the count and replay; the next write of the adapter's record
// trims it, and its entry expires with it.
func TestDeadLetterKeptForTheRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	t0 := time.Now()
	now := t0
	var mu sync.Mutex
	b.store.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	at := func(d time.Duration) { mu.Lock(); now = t0.Add(d); mu.Unlock() }
	const ad = "t-selfservice"
	failSync(t, b, ad, "o-old")
	letters, err := b.dlq.List(ctx)
	if err != nil || len(letters) != 1 {
		t.Fatalf("List = %+v, %v", letters, err)
	}
	id := letters[0].ID
	entry := ixKey(ad, ixDeadEntry, id)
	if ttl := b.mr.TTL(entry); ttl < orderstore.DefaultRetention-time.Minute || ttl > orderstore.DefaultRetention {
		t.Fatalf("entry expires in %v, want the retention", ttl)
	}

	at(orderstore.DefaultRetention - time.Hour)
	if n, err := b.dlq.Size(ctx); err != nil || n != 1 {
		t.Fatalf("Size at 90 days less an hour = %d, %v; want 1", n, err)
	}
	if _, err := b.dlq.Get(ctx, id); err != nil {
		t.Fatalf("Get at 90 days less an hour: %v", err)
	}

	at(orderstore.DefaultRetention + time.Hour)
	if n, err := b.dlq.Size(ctx); err != nil || n != 0 {
		t.Fatalf("Size past 90 days = %d, %v; want 0", n, err)
	}
	if letters, err := b.dlq.List(ctx); err != nil || len(letters) != 0 {
		t.Fatalf("List past 90 days = %+v, %v", letters, err)
	}
	if _, err := b.dlq.Get(ctx, id); !errors.Is(err, orderstore.ErrNotFound) {
		t.Fatalf("Get past 90 days: %v, want orderstore.ErrNotFound", err)
	}
	if _, err := b.dlq.Replay(ctx, []string{id}); err == nil {
		t.Fatal("replay past 90 days succeeded")
	}
	failSync(t, b, ad, "o-new")
	if err := b.rdb.ZScore(ctx, ixKey(ad, ixDead), id).Err(); err == nil {
		t.Fatal("the old id is still in the record after the adapter's next dead letter")
	}
	if letters, err := b.dlq.List(ctx); err != nil || len(letters) != 1 || letters[0].OrderID != "o-new" {
		t.Fatalf("List = %+v, %v; want o-new alone", letters, err)
	}
}

// A rolling upgrade: the previous release kept its dead letters in Asynq's
// archive only. They are listed, counted and replayable beside the
// record's.
func TestArchivedDeadLetterOfThePreviousRelease(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	const ad = "t-selfservice"
	failSync(t, b, ad, "o-new")
	// The previous release: archived, and the document stored as failed
	// without the record (a plain SET, as its script wrote no record).
	legacy := func(orderID string) {
		old := &order.Doc{Version: 1, Requests: []order.Request{{ID: "cr-" + orderID, Initiator: platform.Buyer, Reason: "other",
			OccurredAt: time.Now().UTC(), State: platform.Cancelled, Version: 1, Sync: order.SyncFailed, Attempts: 3, LastError: "HTTP 503"}}}
		raw, _ := old.AppendEncoded(nil, order.FormatJSON) // what that release wrote
		if err := b.rdb.Set(ctx, orderKey(ad, orderID), raw, 0).Err(); err != nil {
			t.Fatal(err)
		}
		r := old.AtVersion(1)
		if err := b.worker.syncer.Archive(ctx, b.adapters[ad], orderID, r.Update(orderID), 0, 3, "HTTP 503"); err != nil {
			t.Fatal(err)
		}
	}
	legacy("o-old")
	if n := b.rdb.ZCard(ctx, ixKey(ad, ixDead)).Val(); n != 1 {
		t.Fatalf("record holds %d ids before the read, want o-new's alone", n)
	}

	if n, err := b.dlq.Size(ctx); err != nil || n != 2 {
		t.Fatalf("Size = %d, %v; want 2", n, err)
	}
	letters, err := b.dlq.ListAdapter(ctx, ad)
	if err != nil || len(letters) != 2 {
		t.Fatalf("ListAdapter = %+v, %v", letters, err)
	}
	var l orderstore.DeadLetter
	for _, x := range letters {
		if x.OrderID == "o-old" {
			l = x
		}
	}
	if l.RequestID != "cr-o-old" || l.Version != 1 || l.Attempts != 3 || l.LastError != "HTTP 503" {
		t.Fatalf("the previous release's dead letter: %+v", l)
	}
	// Reads look at the archive's newest entries only, and still see one
	// archived after the last read.
	mark := b.rdb.Get(ctx, adoptedKey).Val()
	if n, _ := b.dlq.Size(ctx); n != 2 || b.rdb.Get(ctx, adoptedKey).Val() != mark {
		t.Fatalf("a read with nothing new: Size %d, adopted up to %q, was %q", n, b.rdb.Get(ctx, adoptedKey).Val(), mark)
	}
	legacy("o-old2")
	if n, err := b.dlq.Size(ctx); err != nil || n != 3 {
		t.Fatalf("Size after a second archived entry = %d, %v; want 3", n, err)
	}
	if _, err := b.dlq.Replay(ctx, []string{orderstore.DeadLetterID(ad, "o-old2", 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if all, err := b.dlq.List(ctx); err != nil || len(all) != 2 {
		t.Fatalf("List = %+v, %v", all, err)
	}
	if _, err := b.dlq.Replay(ctx, []string{l.ID}); err != nil {
		t.Fatal(err)
	}
	doc, _ := b.store.Load(ctx, ad, "o-old")
	if r := doc.AtVersion(1); r.Sync != "" || r.Round != 1 {
		t.Fatalf("version after the replay: %+v", r)
	}
	if letters, _ := b.dlq.List(ctx); len(letters) != 1 || letters[0].OrderID != "o-new" {
		t.Fatalf("List after the replay = %+v, want o-new alone", letters)
	}
	if n, _ := b.dlq.Size(ctx); n != 1 {
		t.Fatalf("Size after the replay = %d, want 1", n)
	}
}
