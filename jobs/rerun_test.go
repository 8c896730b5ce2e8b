package jobs

import (
	"context"
	"net/http"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// TestArchivedSyncRunAgainPushes is asynqmon's Run on a dead letter (an
// archived sync task): the sync is tried again, even when the first attempt
// was made inside the event's task and only carried to the dead letter.
func TestArchivedSyncRunAgainPushes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.platform.setScript(func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return true
		}
		return false
	})
	b.deliver(t, "t-selfservice", snapshot("o-run", platform.StatusPaid, placed))
	b.deliver(t, "t-selfservice", request("o-run", "cr-run", platform.Buyer))
	b.waitState(t, "t-selfservice", "o-run", platform.Cancelled, order.SyncFailed)
	var letters []orderstore.DeadLetter
	eventually(t, "dead letter", func() bool { letters, _ = b.dlq.List(context.Background()); return len(letters) == 1 })

	inspector := asynq.NewInspectorFromRedisClient(b.rdb)
	if err := inspector.RunTask(tasks.QueueSync, letters[0].ID); err != nil {
		t.Fatal(err)
	}
	b.waitState(t, "t-selfservice", "o-run", platform.Cancelled, order.SyncSynced)
	if n := len(b.platform.received()); n != 2 {
		t.Fatalf("%d PUTs, want the refused one and the re-run", n)
	}
	if letters, _ := b.dlq.List(context.Background()); len(letters) != 0 {
		t.Fatalf("dead letter after the re-run: %+v", letters)
	}
}
