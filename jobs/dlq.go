package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	l := DeadLetter{
		ID: t.ID, Adapter: p.AdapterID, OrderID: p.OrderID, RequestID: p.RequestID, Version: p.Version,
		FailedAt: t.LastFailedAt.UTC(), LastError: t.LastErr,
	}
	if d := p.Dead; d != nil {
		l.Attempts, l.LastError, l.FailedAt = d.Attempts, d.Error, d.At
	}
	return l
}

// Replay re-runs the given dead letters (all of them when ids is empty)
// with their full max_attempts: the version's sync record goes back to
// pending under a new round, a sync of the order is queued, and the entry
// leaves the dead letter. Only that version is made pending again: a
// replay never re-sends another version that failed, and a version older
// than one the platform acknowledged is not sent at all. A crash in
// between leaves the entry, and a second replay finds the version already
// pending or synced.
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
		doc, err := revive(ctx, d.store, l.Adapter, l.OrderID, l.Version)
		if err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.queue.queueNext(ctx, l.Adapter, l.OrderID, doc, ""); err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.inspector.DeleteTask(QueueSync, l.ID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return replayed, fmt.Errorf("replay %s: remove from dead letter: %w", l.ID, err)
		}
		replayed = append(replayed, l)
	}
	return replayed, nil
}
