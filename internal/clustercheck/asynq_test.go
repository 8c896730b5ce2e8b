package clustercheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/cancelsync/cancelsync/internal/redisconn"
	"github.com/cancelsync/cancelsync/internal/redistest"
)

// queues are on three different masters of a fresh cluster? Not assumed:
// the test checks where they land.
var queues = []string{"q-a", "q-b", "q-c", "q-d"}

// TestAsynqOnCluster runs every Asynq operation cancelsync uses or an
// operator may use (through asynqmon) on a real Redis Cluster, with the
// queues spread over the masters, and checks that each one works.
func TestAsynqOnCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, redistest.ClusterOptions{})
	opt, err := redisconn.Parse(c.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	rdb := opt.Client()
	defer rdb.Close()
	masters := map[string]bool{}
	for _, q := range queues {
		masters[c.MasterOf("asynq:{"+q+"}:pending").Addr] = true
	}
	if len(masters) < 2 {
		t.Fatalf("queues %v all on one master: the test would prove nothing about cross-slot", queues)
	}

	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspector(opt)
	defer insp.Close()

	step := func(name string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else {
			t.Logf("ok: %s", name)
		}
	}
	enq := func(q string, opts ...asynq.Option) (*asynq.TaskInfo, error) {
		return client.Enqueue(asynq.NewTask("t", []byte(q)), append([]asynq.Option{asynq.Queue(q)}, opts...)...)
	}

	// Enqueue in every form.
	for _, q := range queues {
		_, err := enq(q)
		step("Enqueue "+q, err)
	}
	_, err = enq("q-a", asynq.TaskID("id-1"))
	step("Enqueue with TaskID", err)
	_, err = enq("q-a", asynq.TaskID("id-1"))
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Errorf("Enqueue with a taken TaskID: %v, want ErrTaskIDConflict", err)
	}
	_, err = enq("q-b", asynq.ProcessIn(time.Hour), asynq.TaskID("later"))
	step("Enqueue ProcessIn", err)
	_, err = enq("q-c", asynq.Unique(time.Hour))
	step("Enqueue Unique", err)
	_, err = enq("q-c", asynq.Unique(time.Hour))
	if !errors.Is(err, asynq.ErrDuplicateTask) {
		t.Errorf("Enqueue Unique twice: %v, want ErrDuplicateTask", err)
	}
	_, err = enq("q-d", asynq.Group("g"))
	step("Enqueue Group", err)
	_, err = enq("q-d", asynq.Retention(time.Hour), asynq.TaskID("kept"))
	step("Enqueue Retention", err)

	// Read side, before processing.
	qs, err := insp.Queues()
	step("Inspector.Queues", err)
	if len(qs) != len(queues) {
		t.Errorf("Queues = %v, want %d", qs, len(queues))
	}
	for _, q := range queues {
		info, err := insp.GetQueueInfo(q)
		step("GetQueueInfo "+q, err)
		if err == nil && info.Size == 0 {
			t.Errorf("GetQueueInfo %s: size 0", q)
		}
		_, err = insp.History(q, 7)
		step("History "+q, err)
		_, err = insp.ListPendingTasks(q)
		step("ListPendingTasks "+q, err)
		_, err = insp.ClusterKeySlot(q)
		step("ClusterKeySlot "+q, err)
		_, err = insp.ClusterNodes(q)
		step("ClusterNodes "+q, err)
	}
	_, err = insp.ListScheduledTasks("q-b")
	step("ListScheduledTasks", err)
	_, err = insp.GetTaskInfo("q-b", "later")
	step("GetTaskInfo", err)
	step("RunTask scheduled", insp.RunTask("q-b", "later"))
	_, err = insp.Groups("q-d")
	step("Groups", err)
	step("PauseQueue", insp.PauseQueue("q-a"))
	step("UnpauseQueue", insp.UnpauseQueue("q-a"))

	// Processing: every queue from one server, a failure retried, a
	// permanent failure archived.
	var done, failedOnce atomic.Int64
	mux := asynq.NewServeMux()
	mux.HandleFunc("t", func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		switch {
		case id == "id-1" && failedOnce.Add(1) == 1:
			return errors.New("fail once")
		case id == "dead":
			return fmt.Errorf("permanent: %w", asynq.SkipRetry)
		}
		done.Add(1)
		return nil
	})
	prio := map[string]int{}
	for _, q := range queues {
		prio[q] = 1
	}
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues: prio, Concurrency: 4,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		GroupGracePeriod:         time.Second, GroupMaxDelay: 2 * time.Second,
		GroupAggregator: asynq.GroupAggregatorFunc(func(g string, ts []*asynq.Task) *asynq.Task {
			return asynq.NewTask("t", []byte("group"))
		}),
		LogLevel: asynq.WarnLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatalf("Server.Start: %v", err)
	}
	defer srv.Shutdown()
	_, err = enq("q-a", asynq.TaskID("dead"), asynq.MaxRetry(3))
	step("Enqueue to archive", err)

	// 4 plain + id-1 (after one retry) + later + unique + group + kept = 9
	deadline := time.Now().Add(30 * time.Second)
	for done.Load() < 9 || archivedCount(insp, "q-a") < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("processed %d of 9, archived %d of 1", done.Load(), archivedCount(insp, "q-a"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("ok: Server processed 9 tasks from %d queues on %d masters, one retry, one archived", len(queues), len(masters))

	servers, err := insp.Servers()
	step("Inspector.Servers", err)
	if len(servers) != 1 {
		t.Errorf("Servers = %d, want 1", len(servers))
	}
	arch, err := insp.ListArchivedTasks("q-a")
	step("ListArchivedTasks", err)
	if len(arch) != 1 || arch[0].ID != "dead" {
		t.Fatalf("archived = %v", arch)
	}
	_, err = insp.GetTaskInfo("q-a", "dead")
	step("GetTaskInfo archived", err)
	_, err = insp.ListCompletedTasks("q-d")
	step("ListCompletedTasks", err)
	step("RunTask archived", insp.RunTask("q-a", "dead"))
	for archivedCount(insp, "q-a") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the re-run task was not archived again")
		}
		time.Sleep(100 * time.Millisecond)
	}
	step("DeleteTask archived", insp.DeleteTask("q-a", "dead"))
	_, err = enq("q-a", asynq.TaskID("dead"), asynq.ProcessIn(time.Hour))
	step("Enqueue the deleted id again", err)
	step("ArchiveTask scheduled", insp.ArchiveTask("q-a", "dead"))
	_, err = insp.DeleteAllArchivedTasks("q-a")
	step("DeleteAllArchivedTasks", err)
	step("CancelProcessing", insp.CancelProcessing("none"))
	for _, q := range queues {
		_, err := insp.History(q, 2)
		step("History after processing "+q, err)
	}

	// asynqmon on the same Opt, as /admin/queues mounts it.
	mon := httptest.NewServer(asynqmon.New(asynqmon.Options{RootPath: "/q", RedisConnOpt: opt}))
	defer mon.Close()
	for _, path := range []string{"/q/api/queues", "/q/api/queues/q-a", "/q/api/queue_stats", "/q/api/redis_info",
		"/q/api/servers", "/q/api/queues/q-d/completed_tasks", "/q/api/queues/q-a/archived_tasks", "/q/api/queues/q-d/groups"} {
		resp, err := http.Get(mon.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !json.Valid(body) {
			t.Errorf("asynqmon GET %s: %d %.200s", path, resp.StatusCode, body)
		} else {
			t.Logf("ok: asynqmon GET %s", path)
		}
	}

	srv.Shutdown()
	step("DeleteQueue", insp.DeleteQueue("q-c", true))
}

func archivedCount(insp *asynq.Inspector, q string) int {
	info, err := insp.GetQueueInfo(q)
	if err != nil {
		return -1
	}
	return info.Archived
}
