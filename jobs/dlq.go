package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
)

// DeadLetter is a sync that exhausted its attempts or failed permanently:
// an archived task of the sync queue.
type DeadLetter struct {
	ID        string    `json:"id"`
	Adapter   string    `json:"adapter"`
	OrderID   string    `json:"order_id"`
	RequestID string    `json:"request_id"`
	Version   int64     `json:"version"`
	Attempts  int       `json:"attempts"`
	FailedAt  time.Time `json:"failed_at"`
	LastError string    `json:"last_error"`
}

// DeadLetters lists and replays the dead letter.
type DeadLetters struct {
	inspector *asynq.Inspector
	queue     *Queue
	store     *Store
}

// NewDeadLetters works on the dead letter of queue's Redis.
func NewDeadLetters(q *Queue, store *Store) *DeadLetters {
	return &DeadLetters{inspector: asynq.NewInspectorFromRedisClient(q.rdb), queue: q, store: store}
}

// List returns every dead letter, oldest failure first.
func (d *DeadLetters) List(ctx context.Context) ([]DeadLetter, error) {
	var out []DeadLetter
	for page := 1; ; page++ {
		tasks, err := d.inspector.ListArchivedTasks(QueueSync, asynq.PageSize(500), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list dead letter: %w", err)
		}
		for _, t := range tasks {
			out = append(out, deadLetter(t))
		}
		if len(tasks) < 500 {
			return out, nil
		}
	}
}

// Size is the number of dead letters.
func (d *DeadLetters) Size(ctx context.Context) (int, error) {
	info, err := d.inspector.GetQueueInfo(QueueSync)
	if err != nil {
		// GetQueueInfo does not wrap asynq.ErrQueueNotFound (only the List
		// calls do), so ask whether the queue exists: before the first
		// sync task it does not, and the dead letter is empty.
		queues, qerr := d.inspector.Queues()
		if qerr == nil && !slices.Contains(queues, QueueSync) {
			return 0, nil
		}
		return 0, fmt.Errorf("dead letter size: %w", err)
	}
	return info.Archived, nil
}

func deadLetter(t *asynq.TaskInfo) DeadLetter {
	var p syncPayload
	_ = json.Unmarshal(t.Payload, &p)
	return DeadLetter{
		ID: t.ID, Adapter: p.AdapterID, OrderID: p.OrderID, RequestID: p.RequestID, Version: p.Version,
		Attempts: attemptsOf(p, t.Retried), FailedAt: t.LastFailedAt.UTC(), LastError: t.LastErr,
	}
}

// attemptsOf counts the pushes behind a sync task that retried times: the
// ones made before it was queued, and one per run unless it only carried a
// failure to the dead letter.
func attemptsOf(p syncPayload, retried int) int {
	if p.Dead != "" {
		return p.Prior + retried
	}
	return p.Prior + retried + 1
}

// Replay re-runs the given dead letters (all of them when ids is empty)
// with their full max_attempts: each is queued afresh under a new task id,
// then removed from the dead letter. A crash in between leaves both, and the
// second run finds the version acknowledged and sends nothing.
func (d *DeadLetters) Replay(ctx context.Context, ids []string) (replayed []DeadLetter, err error) {
	var letters []DeadLetter
	if len(ids) == 0 {
		if letters, err = d.List(ctx); err != nil {
			return nil, err
		}
	} else {
		for _, id := range ids {
			t, err := d.inspector.GetTaskInfo(QueueSync, id)
			if err != nil || t.State != asynq.TaskStateArchived {
				return replayed, fmt.Errorf("replay %s: no such dead letter", id)
			}
			letters = append(letters, deadLetter(t))
		}
	}
	for _, l := range letters {
		p := syncPayload{AdapterID: l.Adapter, OrderID: l.OrderID, RequestID: l.RequestID, Version: l.Version}
		base, _, _ := strings.Cut(l.ID, ":replay:")
		newID := base + ":replay:" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if _, err := d.store.update(ctx, l.Adapter, l.OrderID, func(doc *orderDoc) bool {
			if doc.Sync.State != syncFailed {
				return false
			}
			doc.Sync.State, doc.Sync.Attempts, doc.Sync.LastError, doc.Sync.NextAt = syncPending, 0, "", time.Time{}
			return true
		}); err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.queue.enqueueSync(ctx, p, newID); err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.inspector.DeleteTask(QueueSync, l.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return replayed, fmt.Errorf("replay %s: remove from dead letter: %w", l.ID, err)
		}
		replayed = append(replayed, l)
	}
	return replayed, nil
}
