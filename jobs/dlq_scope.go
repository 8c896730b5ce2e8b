package jobs

import (
	"context"
	"fmt"
)

// Get returns one dead letter, ErrNotFound when id is not in the dead
// letter (the console checks its adapter before replaying it).
func (d *DeadLetters) Get(ctx context.Context, id string) (DeadLetter, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return DeadLetter{}, err
	}
	l, err := recordGet(ctx, d.queue.rdb, id, d.cutoff())
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	return l, nil
}

// ListAdapter returns the dead letters of one adapter, oldest failure
// first.
func (d *DeadLetters) ListAdapter(ctx context.Context, adapterID string) ([]DeadLetter, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return nil, err
	}
	out, err := recordOf(ctx, d.queue.rdb, adapterID, d.cutoff())
	if err != nil {
		return nil, fmt.Errorf("list dead letter of %s: %w", adapterID, err)
	}
	return out, nil
}
