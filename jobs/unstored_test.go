package jobs

import (
	"net/http"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore/orderstoretest"
	"github.com/cancelsync/cancelsync/platform"
)

// TestAckNotStoredIsSyncedAgain: the decision's own (inline) sync reaches
// the platform, but storing the acknowledgement fails (Redis restarting).
// The task that decided must then queue the sync, which pushes the version
// again under the same Idempotency-Key and records it: the version never
// sits unsynced with no task to send it.
func TestAckNotStoredIsSyncedAgain(t *testing.T) {
	b := setup(t, setupOpts{})
	hook := &orderstoretest.FailChanges{}
	b.rdb.AddHook(hook)
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			hook.N.Store(1) // the acknowledgement's compare-and-set
		}
		return false
	})
	const ad = "t-selfservice"
	b.deliver(t, ad, snapshot("o-ack", platform.StatusPaid, placed.Add(time.Minute)))
	b.deliver(t, ad, request("o-ack", "r-ack", platform.Buyer))
	v := b.waitState(t, ad, "o-ack", platform.Cancelled, order.SyncSynced)
	if v.Sync.Version != 1 {
		t.Fatalf("synced version %d, want 1", v.Sync.Version)
	}
	puts := b.platform.received()
	if len(puts) != 2 {
		t.Fatalf("%d PUTs, want 2 (the inline one, then the queued sync)", len(puts))
	}
	if puts[0].IdempotencyKey != puts[1].IdempotencyKey || puts[0].Raw != puts[1].Raw {
		t.Fatalf("the second PUT is not the first again: %q vs %q", puts[0].IdempotencyKey, puts[1].IdempotencyKey)
	}
}
