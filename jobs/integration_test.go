package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// TestShipRacesCancelOnRealRedis races a shipped snapshot against a
// cancellation request on the same order, 1,000 times, on a real
// redis-server, and checks each order ends in exactly one consistent
// outcome: either the request saw the order unshipped (cancelled, and the
// later shipment is flagged as a conflict) or it saw it shipped (denied
// already_shipped, no conflict) — never both, never neither.
func TestShipRacesCancelOnRealRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client()
	b := setup(t, setupOpts{noServer: true})
	b.store = orderstore.NewStore(rdb)
	b.queue = tasks.NewQueue(rdb, time.Hour)
	b.worker = NewWorker(b.store, b.queue, WorkerOptions{Adapters: b.adapters, OrderWait: time.Minute, Logger: quiet})
	ctx := context.Background()
	run := func(ev platform.Event) error {
		payload, _ := json.Marshal(tasks.Delivery{AdapterID: "t-selfservice", WebhookID: nextWebhookID(), ReceivedAt: time.Now(), Event: ev})
		return b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload))
	}
	const n = 1000
	cancelled, denied := 0, 0
	for i := range n {
		id := fmt.Sprintf("race-%d", i)
		if err := run(snapshot(id, platform.StatusPaid, placed)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := run(snapshot(id, platform.StatusShipped, placed.Add(time.Minute))); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := run(request(id, "cr-"+id, platform.Buyer)); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		v := b.view(t, "t-selfservice", id)
		c := v.Cancellation
		switch {
		case v.Order.Status != platform.StatusShipped || c == nil || c.Version != 1 || v.Sync.Version != 1 || len(v.History) != 3:
			t.Fatalf("%s: inconsistent view %+v", id, v)
		case c.State == platform.Cancelled && v.Conflict != nil && *v.Conflict == "shipped_after_cancel":
			cancelled++
		case c.State == platform.Denied && c.DenialReason != nil && *c.DenialReason == platform.AlreadyShipped && v.Conflict == nil:
			denied++
		default:
			t.Fatalf("%s: inconsistent outcome %+v conflict=%v", id, c, v.Conflict)
		}
	}
	t.Logf("%d races: %d cancelled first, %d shipped first", n, cancelled, denied)
	if cancelled+denied != n {
		t.Fatalf("%d + %d != %d", cancelled, denied, n)
	}
}
