package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// countingReader is a platform's live order read that counts its calls
// and never answers (every check fails, so decisions use the stored
// snapshot).
type countingReader struct{ calls atomic.Int64 }

func (r *countingReader) Order(context.Context, string) (*platform.Order, error) {
	r.calls.Add(1)
	return nil, errors.New("unreachable (test)")
}

func (r *countingReader) UpdatedSince(context.Context, time.Time, func([]*platform.Order) error) error {
	return nil
}

// TestLiveCheckOnlyWhenItMayDecide: the platform is read before a request
// and before the answer to a pending one, and not for a replay of a
// delivery already applied, an answer to a request no longer pending, or a
// deadline that finds its request decided.
func TestLiveCheckOnlyWhenItMayDecide(t *testing.T) {
	b := setup(t, setupOpts{noServer: true, queueSyncs: true})
	const ad = "t-aliexpress"
	reader := &countingReader{}
	b.adapters[ad].Boundary = &platform.Boundary{Reader: reader, Timeout: time.Second}
	ctx := context.Background()
	run := func(webhookID string, ev platform.Event) {
		t.Helper()
		payload, _ := json.Marshal(tasks.Delivery{AdapterID: ad, WebhookID: webhookID, ReceivedAt: time.Now(), Event: ev})
		if err := b.worker.handleEvent(ctx, asynq.NewTask(tasks.TypeEvent, payload)); err != nil {
			t.Fatal(err)
		}
	}
	want := func(n int64, after string) {
		t.Helper()
		if got := reader.calls.Load(); got != n {
			t.Fatalf("after %s: %d live reads, want %d", after, got, n)
		}
	}
	run("w-snap", snapshot("o-live", platform.StatusPaid, placed.Add(time.Minute)))
	want(0, "a snapshot")
	run("w-req", request("o-live", "r-1", platform.Buyer))
	want(1, "a buyer's request (pending_response on aliexpress)")
	run("w-req", request("o-live", "r-1", platform.Buyer))
	want(1, "the same delivery again (a replay)")
	run("w-acc", respond("o-live", "r-1", platform.Seller, platform.Accept))
	want(2, "the seller's answer to the pending request")
	run("w-acc2", respond("o-live", "r-1", platform.Seller, platform.Decline))
	want(2, "an answer to a request no longer pending")
	deadline := tasks.TimerPayload{AdapterID: ad, OrderID: "o-live"}
	deadline.Timer.Kind, deadline.Timer.RequestID, deadline.Timer.At = "deadline", "r-1", time.Now().Add(-time.Second)
	payload, _ := json.Marshal(deadline)
	if err := b.worker.handleTimer(ctx, asynq.NewTask(tasks.TypeTimer, payload)); err != nil {
		t.Fatal(err)
	}
	want(2, "a deadline whose request is decided")
	if v := b.view(t, ad, "o-live"); v.Cancellation == nil || v.Cancellation.State != platform.Cancelled {
		t.Fatalf("view %+v, want the request cancelled by the seller's answer", v.Cancellation)
	}
}
