package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
	"github.com/cancelsync/cancelsync/tasks"
)

// TestSweeperQueuesOnlyLostSyncs: a decided version with no task is queued
// again once it is a round old; one with its task, one whose sync lock is
// held, one decided a moment ago and one acknowledged are left alone.
func TestSweeperQueuesOnlyLostSyncs(t *testing.T) {
	b := setup(t, setupOpts{noServer: true})
	ctx := context.Background()
	const ad = "t-selfservice"
	now := time.Now()
	decided := func(orderID string, at time.Time, acked bool) {
		t.Helper()
		_, err := b.store.Update(ctx, ad, orderID, func(d *order.Doc) bool {
			d.Version = 1
			d.Requests = append(d.Requests, order.Request{ID: "r-" + orderID, State: platform.Cancelled, Version: 1, Initiator: platform.Buyer, Reason: "changed_mind", OccurredAt: at})
			d.History = append(d.History, order.HistoryRecord{At: at, Event: platform.CancellationRequested, State: platform.Cancelled})
			if acked {
				d.Acked, d.Requests[0].Sync = 1, order.SyncSynced
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	decided("lost", now.Add(-2*time.Minute), false)
	decided("queued", now.Add(-2*time.Minute), false)
	decided("locked", now.Add(-2*time.Minute), false)
	decided("fresh", now.Add(-time.Second), false)
	decided("acked", now.Add(-2*time.Minute), true)
	doc, err := b.store.Load(ctx, ad, "queued")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.queue.QueueNext(ctx, ad, "queued", doc, ""); err != nil {
		t.Fatal(err)
	}
	plantLock(t, b.rdb, ad, "locked", "someone", time.Minute)

	reg := prometheus.NewRegistry()
	sw := syncback.NewSweeper(b.store, b.queue, syncback.SweeperOptions{Adapters: func() []string { return []string{ad, "t-poshmark"} }, Every: time.Minute, Logger: quiet, Registerer: reg})
	n, err := sw.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("first round queued %d (%v), want 1", n, err)
	}
	in := asynq.NewInspectorFromRedisClient(b.rdb)
	if _, err := in.GetTaskInfo(tasks.QueueSync, tasks.SyncTaskID(ad, "lost", 1, 0, 1)); err != nil {
		t.Fatalf("the lost version's sync is not queued: %v", err)
	}
	for _, id := range []string{"locked", "fresh", "acked"} {
		if _, err := in.GetTaskInfo(tasks.QueueSync, tasks.SyncTaskID(ad, id, 1, 0, 1)); err == nil {
			t.Errorf("%s: queued, want left alone", id)
		}
	}
	if n, err := sw.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("second round queued %d (%v), want 0: every version has its task", n, err)
	}
	if got := resweeps(t, reg, ad); got != 1 {
		t.Fatalf("cancelsync_sync_resweeps_total{adapter=%q} = %v, want 1", ad, got)
	}
}

// resweeps reads cancelsync_sync_resweeps_total{adapter} from reg.
func resweeps(t *testing.T, reg *prometheus.Registry, adapterID string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cancelsync_sync_resweeps_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "adapter" && l.GetValue() == adapterID {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no cancelsync_sync_resweeps_total{adapter=%q}", adapterID)
	return 0
}
