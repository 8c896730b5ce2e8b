package jobs

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cancelsync/cancelsync/internal/redistest"
)

// The queue series pass Prometheus' linter (what promtool check metrics
// runs) and read what is in Redis: a pending task, a paused queue.
func TestQueueCollectorLintsAndCounts(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t, redistest.Options{}).Client()
	client := asynq.NewClientFromRedisClient(rdb)
	if _, err := client.Enqueue(asynq.NewTask("probe", nil), asynq.Queue("q-one")); err != nil {
		t.Fatal(err)
	}
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	if err := inspector.PauseQueue("q-one"); err != nil {
		t.Fatal(err)
	}
	c := NewQueueCollector(inspector)

	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	want := `
# HELP asynq_queue_paused 1 while the queue is paused, else 0.
# TYPE asynq_queue_paused gauge
asynq_queue_paused{queue="q-one"} 1
# HELP asynq_queue_tasks Tasks in a queue, by state (pending, active, scheduled, retry, archived, completed).
# TYPE asynq_queue_tasks gauge
asynq_queue_tasks{queue="q-one",state="active"} 0
asynq_queue_tasks{queue="q-one",state="archived"} 0
asynq_queue_tasks{queue="q-one",state="completed"} 0
asynq_queue_tasks{queue="q-one",state="pending"} 1
asynq_queue_tasks{queue="q-one",state="retry"} 0
asynq_queue_tasks{queue="q-one",state="scheduled"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "asynq_queue_paused", "asynq_queue_tasks"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 12 {
		t.Errorf("%d series for one queue, want 12", n)
	}
}
