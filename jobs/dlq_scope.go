package jobs

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
)

// Get returns one dead letter, ErrNotFound when id is not in the dead
// letter (the console checks its adapter before replaying it).
func (d *DeadLetters) Get(ctx context.Context, id string) (DeadLetter, error) {
	t, err := d.inspector.GetTaskInfo(QueueSync, id)
	if err != nil || t.State != asynq.TaskStateArchived {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, ErrNotFound)
	}
	return deadLetter(t), nil
}

// ListAdapter returns the dead letters of one adapter, oldest failure
// first.
func (d *DeadLetters) ListAdapter(ctx context.Context, adapterID string) ([]DeadLetter, error) {
	all, err := d.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []DeadLetter{}
	for _, l := range all {
		if l.Adapter == adapterID {
			out = append(out, l)
		}
	}
	return out, nil
}
