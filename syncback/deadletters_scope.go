package syncback

import (
	"context"
	"fmt"

	"github.com/cancelsync/cancelsync/orderstore"
)

// Get returns one dead letter, orderstore.ErrNotFound when id is not in the dead
// letter (the console checks its adapter before replaying it).
func (d *DeadLetters) Get(ctx context.Context, id string) (orderstore.DeadLetter, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return orderstore.DeadLetter{}, err
	}
	return d.recorded(ctx, id)
}

// recorded reads id from the record, without adopting Asynq's archive
// first (the caller has); a miss is orderstore.ErrNotFound.
func (d *DeadLetters) recorded(ctx context.Context, id string) (orderstore.DeadLetter, error) {
	l, ok, err := d.record.Get(ctx, id)
	if err == nil && !ok {
		err = orderstore.ErrNotFound
	}
	if err != nil {
		return orderstore.DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	return l, nil
}

// ListAdapter returns the dead letters of one adapter, oldest failure
// first.
func (d *DeadLetters) ListAdapter(ctx context.Context, adapterID string) ([]orderstore.DeadLetter, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return nil, err
	}
	out, err := d.record.Of(ctx, adapterID)
	if err != nil {
		return nil, fmt.Errorf("list dead letter of %s: %w", adapterID, err)
	}
	return out, nil
}
