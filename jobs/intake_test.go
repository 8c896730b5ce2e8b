package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

func (b *bundle) intake() *Intake {
	return NewIntake(b.store, b.queue, IntakeOptions{Lookup: mapLookup(b.adapters), OrderWait: time.Minute, Logger: quiet})
}

func (b *bundle) take(t *testing.T, in *Intake, adapterID, webhookID string, ev platform.Event) bool {
	t.Helper()
	dup, err := in.Enqueue(context.Background(), tasks.Delivery{AdapterID: adapterID, WebhookID: webhookID, ReceivedAt: time.Now(), Event: ev})
	if err != nil {
		t.Fatalf("intake %s: %v", webhookID, err)
	}
	return dup
}

// pendingEvents lists the webhooks queued for the workers.
func (b *bundle) pendingEvents(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	listed, err := asynq.NewInspectorFromRedisClient(b.rdb).ListPendingTasks(tasks.QueueEvents)
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	return listed
}

// TestIntakeStoresASnapshotThatNeedsNoWorker: a snapshot no request waits
// on is stored by ingest, with its delivery id remembered, and queues no
// task; the same webhook-id again is a duplicate; an older snapshot under
// a new id is accepted and only noted in the history.
func TestIntakeStoresASnapshotThatNeedsNoWorker(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	if dup := b.take(t, in, "t-selfservice", "w-in1", snapshot("o-in1", platform.StatusPaid, now)); dup {
		t.Fatal("a fresh snapshot reported duplicate")
	}
	if queued := b.pendingEvents(t); len(queued) != 0 {
		t.Fatalf("%d tasks queued, want none", len(queued))
	}
	v := b.view(t, "t-selfservice", "o-in1")
	if v.Order == nil || v.Order.Status != platform.StatusPaid || len(v.History) != 1 {
		t.Fatalf("view = %+v", v)
	}
	if ttl := b.rdb.PTTL(ctx, orderstore.DeliveryKey("t-selfservice", "w-in1")).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("delivery id remembered for %v, want the dedup window (1h)", ttl)
	}
	if dup := b.take(t, in, "t-selfservice", "w-in1", snapshot("o-in1", platform.StatusPaid, now)); !dup {
		t.Fatal("the same webhook-id again was not a duplicate")
	}
	if dup := b.take(t, in, "t-selfservice", "w-in1-old", snapshot("o-in1", platform.StatusPlaced, now.Add(-time.Minute))); dup {
		t.Fatal("an older snapshot under a new id reported duplicate")
	}
	if dup := b.take(t, in, "t-selfservice", "w-in1-old", snapshot("o-in1", platform.StatusPlaced, now.Add(-time.Minute))); !dup {
		t.Fatal("the older snapshot's webhook-id was not remembered")
	}
	v = b.view(t, "t-selfservice", "o-in1")
	if v.Order.Status != platform.StatusPaid || len(v.History) != 2 || v.History[1].Note == nil {
		t.Fatalf("an older snapshot changed the order, or was not noted as ignored: %+v", v)
	}
	if queued := b.pendingEvents(t); len(queued) != 0 {
		t.Fatalf("%d tasks queued, want none", len(queued))
	}
	// The console's indexes and counters are written with it, as a
	// worker's store would.
	if n, _ := b.rdb.HGet(ctx, ixKey("t-selfservice", ixDay, dayOf(placed)), cntOrders).Int(); n != 1 {
		t.Fatalf("orders counted on the day placed: %d, want 1", n)
	}
}

// TestIntakeQueuesWhatAWorkerMustDecide: cancellations are always queued;
// a snapshot that a waiting request needs is queued untouched, and the
// worker that runs it decides the request and pushes it.
func TestIntakeQueuesWhatAWorkerMustDecide(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	now := time.Now().UTC().Truncate(time.Second)

	// The request arrives before its order: queued, and its worker stores
	// it waiting for the order.
	if dup := b.take(t, in, "t-selfservice", "w-wait-c", request("o-wait", "cr-wait", platform.Buyer)); dup {
		t.Fatal("duplicate")
	}
	if queued := b.pendingEvents(t); len(queued) != 1 {
		t.Fatalf("%d tasks queued for a cancellation, want 1", len(queued))
	}
	b.runEvent(t, "t-selfservice", "w-wait-c", request("o-wait", "cr-wait", platform.Buyer))
	if v := b.view(t, "t-selfservice", "o-wait"); v.Order != nil || v.Cancellation == nil || v.Cancellation.State != platform.AwaitingOrder {
		t.Fatalf("before the snapshot: %+v", v)
	}

	// The snapshot decides the waiting request: that is a worker's job.
	snap := snapshot("o-wait", platform.StatusPaid, now)
	if dup := b.take(t, in, "t-selfservice", "w-wait-s", snap); dup {
		t.Fatal("duplicate")
	}
	if queued := b.pendingEvents(t); len(queued) != 2 {
		t.Fatalf("%d tasks queued, want the snapshot's too", len(queued))
	}
	if v := b.view(t, "t-selfservice", "o-wait"); v.Order != nil {
		t.Fatalf("ingest stored a snapshot that decides a request: %+v", v.Order)
	}
	if puts := b.platform.received(); len(puts) != 0 {
		t.Fatalf("ingest pushed %d states", len(puts))
	}
	b.runEvent(t, "t-selfservice", "w-wait-s", snap)
	if v := b.view(t, "t-selfservice", "o-wait"); v.Cancellation.State != platform.Cancelled || v.Sync.State != order.SyncSynced {
		t.Fatalf("after the worker: %+v %+v", v.Cancellation, v.Sync)
	}
}

// TestIntakeRacingDeliveriesStoreOnce: eight deliveries of one webhook at
// once store it once; all but one are answered duplicate.
func TestIntakeRacingDeliveriesStoreOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{real: true, noServer: true})
	in := b.intake()
	snap := snapshot("o-race", platform.StatusPaid, time.Now().UTC().Truncate(time.Second))
	var mu sync.Mutex
	fresh := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			dup, err := in.Enqueue(context.Background(), tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "w-race", ReceivedAt: time.Now(), Event: snap})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !dup {
				fresh++
			}
		})
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("%d deliveries accepted as fresh, want 1", fresh)
	}
	if v := b.view(t, "t-selfservice", "o-race"); len(v.History) != 1 {
		t.Errorf("history = %+v, want one entry", v.History)
	}
	if queued := b.pendingEvents(t); len(queued) != 0 {
		t.Errorf("%d tasks queued, want none", len(queued))
	}
}

// TestIntakeLeavesAnUnreadableOrderToTheWorkers: a stored document that
// does not decode is not ingest's to mend; the snapshot is queued.
func TestIntakeLeavesAnUnreadableOrderToTheWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	if err := b.rdb.Set(context.Background(), orderKey("t-selfservice", "o-bad"), "{not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if dup := b.take(t, in, "t-selfservice", "w-bad", snapshot("o-bad", platform.StatusPaid, time.Now())); dup {
		t.Fatal("duplicate")
	}
	if queued := b.pendingEvents(t); len(queued) != 1 {
		t.Fatalf("%d tasks queued, want the snapshot", len(queued))
	}
}

// TestIntakeWithoutRedisAcceptsNothing: when Redis is gone the delivery is
// an error (ingest answers 503), stored nowhere.
func TestIntakeWithoutRedisAcceptsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	cmds := &commandCount{}
	b.rdb.AddHook(cmds)
	b.mr.Close()
	_, err := in.Enqueue(context.Background(), tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "w-down", ReceivedAt: time.Now(),
		Event: snapshot("o-down", platform.StatusPaid, time.Now())})
	if err == nil {
		t.Fatal("accepted without Redis")
	}
	// One failed round trip is the answer: trying the queue on the same
	// Redis would make the sender wait a second timeout when it stalls.
	if n := cmds.n.Load(); n != 1 {
		t.Errorf("%d commands tried with Redis down, want 1", n)
	}
}

// commandCount counts the commands a client sends, those match accepts
// when it is set.
type commandCount struct {
	match func(redis.Cmder) bool
	n     atomic.Int64
}

func (h *commandCount) count(c redis.Cmder) {
	if h.match == nil || h.match(c) {
		h.n.Add(1)
	}
}
func (h *commandCount) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *commandCount) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error { h.count(c); return next(ctx, c) }
}
func (h *commandCount) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cs []redis.Cmder) error {
		for _, c := range cs {
			h.count(c)
		}
		return next(ctx, cs)
	}
}

// TestIntakeOneAnswerPerWebhookWhenStoreAndQueueRace: a snapshot a request
// waits on is queued; once another delivery has decided that request, a
// second delivery of the first one's webhook-id could be stored at ingest
// while the first still waits in the queue. The queueing delivery's mark
// stops that store (it is queued and collides: duplicate), and a store that
// came first makes the queueing delivery a duplicate: never two 202s.
func TestIntakeOneAnswerPerWebhookWhenStoreAndQueueRace(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	now := time.Now().UTC().Truncate(time.Second)
	b.runEvent(t, "t-selfservice", "w-mk-c", request("o-mk", "cr-mk", platform.Buyer))
	snap := snapshot("o-mk", platform.StatusPaid, now)
	if dup := b.take(t, in, "t-selfservice", "w-mk-s1", snap); dup {
		t.Fatal("duplicate")
	}
	// The platform's re-send under a new id is applied first and decides
	// the request; w-mk-s1 is still queued.
	b.runEvent(t, "t-selfservice", "w-mk-s2", snap)
	if v := b.view(t, "t-selfservice", "o-mk"); v.Cancellation.State != platform.Cancelled {
		t.Fatalf("state %s", v.Cancellation.State)
	}
	if dup := b.take(t, in, "t-selfservice", "w-mk-s1", snap); !dup {
		t.Fatal("a second delivery of a queued webhook-id was accepted again")
	}
	snapshots := 0
	for _, h := range b.view(t, "t-selfservice", "o-mk").History {
		if h.Event == platform.OrderUpdated {
			snapshots++
		}
	}
	if snapshots != 1 {
		t.Fatalf("%d snapshots in the history, want only the re-send's: ingest stored the queued delivery", snapshots)
	}

	// The other order: stored at ingest first, then a twin that is being
	// queued finds its dedup key.
	if dup := b.take(t, in, "t-selfservice", "w-mk-n", snapshot("o-mk2", platform.StatusPaid, now)); dup {
		t.Fatal("duplicate")
	}
	dup, err := b.queue.EnqueueMarked(context.Background(), tasks.Delivery{AdapterID: "t-selfservice", WebhookID: "w-mk-n", ReceivedAt: time.Now(), Event: snapshot("o-mk2", platform.StatusPaid, now)})
	if err != nil || !dup {
		t.Fatalf("queueing a webhook-id stored at ingest: dup=%v err=%v", dup, err)
	}
}

// TestIntakeRemembersWithoutTheDocument: a webhook-id remembered within the
// dedup window is a duplicate even when the order's document does not name
// it (another order's delivery under that id, or a document pruned since):
// the store's own check refuses it and nothing is stored.
func TestIntakeRemembersWithoutTheDocument(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	in := b.intake()
	ctx := context.Background()
	if err := b.rdb.Set(ctx, orderstore.DeliveryKey("t-selfservice", "w-rem"), "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if dup := b.take(t, in, "t-selfservice", "w-rem", snapshot("o-rem", platform.StatusPaid, time.Now())); !dup {
		t.Fatal("a remembered webhook-id was accepted again")
	}
	if n := b.rdb.Exists(ctx, orderKey("t-selfservice", "o-rem")).Val(); n != 0 {
		t.Fatal("a duplicate was stored")
	}
}

// orderReads counts the GETs of order documents a client sends.
func orderReads() *commandCount {
	return &commandCount{match: func(c redis.Cmder) bool {
		a := c.Args()
		k, _ := a[len(a)-1].(string)
		return len(a) == 2 && a[0] == "get" && strings.HasPrefix(k, "cancelsync:order:")
	}}
}

// TestIntakeStoresANewOrderWithoutReadingIt: an order.created snapshot is
// stored in one round trip, on the guess that the order has no document
// yet. Where it has one (the order's update came first, or a request waits
// for it) the compare-and-set answers with it and the snapshot is applied
// to that, as a read would have done: the guess changes round trips, never
// the outcome.
func TestIntakeStoresANewOrderWithoutReadingIt(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	reads := orderReads()
	b.rdb.AddHook(reads)
	in := b.intake()
	now := time.Now().UTC().Truncate(time.Second)
	created := func(orderID string, status platform.OrderStatus, updated time.Time) platform.Event {
		ev := snapshot(orderID, status, updated)
		ev.Type = platform.OrderCreated
		return ev
	}

	// A new order: stored, not read.
	if dup := b.take(t, in, "t-selfservice", "w-new", created("o-new", platform.StatusPaid, now)); dup {
		t.Fatal("duplicate")
	}
	if n := reads.n.Load(); n != 0 {
		t.Errorf("%d reads of the order document for a new order, want 0", n)
	}
	if v := b.view(t, "t-selfservice", "o-new"); v.Order == nil || v.Order.Status != platform.StatusPaid || len(v.History) != 1 {
		t.Fatalf("view = %+v", v)
	}
	if n, _ := b.rdb.HGet(context.Background(), ixKey("t-selfservice", ixDay, dayOf(placed)), cntOrders).Int(); n != 1 {
		t.Errorf("orders counted %d, want 1", n)
	}

	// Its update came first: the created snapshot is older, so it is only
	// noted in the history, not applied over the newer state.
	b.take(t, in, "t-selfservice", "w-upd", snapshot("o-late", platform.StatusShipped, now))
	reads.n.Store(0)
	if dup := b.take(t, in, "t-selfservice", "w-late", created("o-late", platform.StatusPaid, now.Add(-time.Minute))); dup {
		t.Fatal("duplicate")
	}
	if n := reads.n.Load(); n != 0 {
		t.Errorf("%d reads: the compare-and-set's answer should have served", n)
	}
	v := b.view(t, "t-selfservice", "o-late")
	if v.Order.Status != platform.StatusShipped || len(v.History) != 2 || v.History[1].Note == nil {
		t.Fatalf("a late order.created changed the order, or was not noted: %+v", v)
	}
	if n, _ := b.rdb.HGet(context.Background(), ixKey("t-selfservice", ixDay, dayOf(placed)), cntOrders).Int(); n != 2 {
		t.Errorf("orders counted %d, want 2 (o-late once)", n)
	}

	// A request waits for the order: deciding it is a worker's job, so the
	// created snapshot is queued and nothing is stored at ingest.
	b.take(t, in, "t-selfservice", "w-wait-c", request("o-wait", "cr-wait", platform.Buyer))
	b.runEvent(t, "t-selfservice", "w-wait-c", request("o-wait", "cr-wait", platform.Buyer))
	if dup := b.take(t, in, "t-selfservice", "w-wait-s", created("o-wait", platform.StatusPaid, now)); dup {
		t.Fatal("duplicate")
	}
	if v := b.view(t, "t-selfservice", "o-wait"); v.Order != nil {
		t.Fatalf("ingest stored a snapshot that decides a request: %+v", v.Order)
	}
	if queued := b.pendingEvents(t); len(queued) != 2 {
		t.Fatalf("%d tasks queued, want the request's and the snapshot's", len(queued))
	}
}

// TestStoreChecksWhatItConcludesFromAGuess: when fn changes nothing on the
// guessed (absent) document, change reads the stored one and asks fn
// again, rather than report the guess as the order's state.
func TestStoreChecksWhatItConcludesFromAGuess(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	in := b.intake()
	b.take(t, in, "t-selfservice", "w-g1", snapshot("o-g", platform.StatusPaid, time.Now()))
	guess := orderstore.AbsentGuess
	var saw []bool
	doc, _, err := b.store.Change(ctx, "t-selfservice", "o-g", &guess, func(doc *order.Doc) bool {
		saw = append(saw, doc.Order != nil)
		if doc.Order == nil {
			return false // nothing to do to an order that is not there
		}
		doc.Conflict = "checked"
		return true
	})
	if err != nil || len(saw) != 2 || saw[0] || !saw[1] {
		t.Fatalf("fn saw documents %v (want the guess, then the stored one), err %v", saw, err)
	}
	if doc.Order == nil || doc.Conflict != "checked" {
		t.Fatalf("change returned %+v", doc)
	}
	if raw, _ := b.rdb.Get(ctx, orderKey("t-selfservice", "o-g")).Result(); !strings.Contains(raw, "checked") {
		t.Fatalf("not stored: %s", raw)
	}
}
