package syncback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/orderstore/deadletter"
	"github.com/cancelsync/cancelsync/tasks"
)

// DeadLetters lists and replays the dead letter. Its record (package orderstore/deadletter)
// is the one source: Asynq's archive of the sync queue also holds each dead
// letter, for asynqmon, but drops old ones past its cap, and is read only
// for what a previous release left there (adopt.go).
type DeadLetters struct {
	inspector *asynq.Inspector
	queue     *tasks.Queue
	store     *orderstore.Store
	record    *deadletter.Record
}

// NewDeadLetters works on the dead letter of queue's Redis.
func NewDeadLetters(q *tasks.Queue, store *orderstore.Store) *DeadLetters {
	return &DeadLetters{inspector: q.Inspector(), queue: q, store: store, record: orderstore.NewDeadLetterRecord(store)}
}

// List returns every dead letter, oldest failure first.
func (d *DeadLetters) List(ctx context.Context) ([]orderstore.DeadLetter, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return nil, err
	}
	ids, err := d.record.Adapters(ctx)
	if err != nil {
		return nil, fmt.Errorf("list dead letter: %w", err)
	}
	var out []orderstore.DeadLetter
	for _, id := range ids {
		ls, err := d.record.Of(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("list dead letter: %w", err)
		}
		out = append(out, ls...)
	}
	slices.SortStableFunc(out, func(a, b orderstore.DeadLetter) int {
		if c := a.FailedAt.Compare(b.FailedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Size is the number of dead letters, exactly.
func (d *DeadLetters) Size(ctx context.Context) (int, error) {
	if err := d.adoptArchived(ctx); err != nil {
		return 0, err
	}
	n, err := d.record.Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("dead letter size: %w", err)
	}
	return n, nil
}

func deadLetter(t *asynq.TaskInfo) orderstore.DeadLetter {
	var p tasks.SyncPayload
	_ = json.Unmarshal(t.Payload, &p)
	l := orderstore.DeadLetter{
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
// leaves the dead letter (the compare-and-set that revives the version
// removes it). Only that version is made pending again: a replay never
// re-sends another version that failed, and a version older than one the
// platform acknowledged, or one its request has moved on from, is not sent
// at all: its entry is only removed.
//
// Asynq's archived copy goes first, so that no read adopts it back into the
// record once revived. A crash after the revive and before the sync is
// queued leaves the version pending with no task.
func (d *DeadLetters) Replay(ctx context.Context, ids []string) (replayed []orderstore.DeadLetter, err error) {
	var letters []orderstore.DeadLetter
	if len(ids) == 0 {
		if letters, err = d.List(ctx); err != nil {
			return nil, err
		}
	} else {
		// One adoption for the whole list, then each id from the record.
		if err := d.adoptArchived(ctx); err != nil {
			return nil, err
		}
		for _, id := range ids {
			l, err := d.recorded(ctx, id)
			if errors.Is(err, orderstore.ErrNotFound) {
				return replayed, fmt.Errorf("replay %s: no such dead letter", id)
			}
			if err != nil {
				return replayed, fmt.Errorf("replay %s: %w", id, err)
			}
			letters = append(letters, l)
		}
	}
	return d.replay(ctx, letters)
}

// ReplayOf replays one of adapterID's dead letters, as Replay does; an id
// that is not in the dead letter, or is another adapter's, is
// orderstore.ErrNotFound. The console's replay: one read of the entry
// (and one adoption) where Get then Replay took two.
func (d *DeadLetters) ReplayOf(ctx context.Context, adapterID, id string) (orderstore.DeadLetter, error) {
	l, err := d.Get(ctx, id)
	if err != nil {
		return orderstore.DeadLetter{}, err
	}
	if l.Adapter != adapterID {
		return orderstore.DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, orderstore.ErrNotFound)
	}
	done, err := d.replay(ctx, []orderstore.DeadLetter{l})
	if err != nil {
		return orderstore.DeadLetter{}, err
	}
	return done[0], nil
}

// replay re-runs letters, read from the record (see Replay).
func (d *DeadLetters) replay(ctx context.Context, letters []orderstore.DeadLetter) (replayed []orderstore.DeadLetter, err error) {
	for _, l := range letters {
		if err := d.unarchive(ctx, l.ID); err != nil {
			return replayed, fmt.Errorf("replay %s: remove from Asynq's archive: %w", l.ID, err)
		}
		doc, err := revive(ctx, d.store, l.Adapter, l.OrderID, l.Version)
		if err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.queue.QueueNext(ctx, l.Adapter, l.OrderID, doc, ""); err != nil {
			return replayed, fmt.Errorf("replay %s: %w", l.ID, err)
		}
		if err := d.record.Remove(ctx, l); err != nil {
			return replayed, fmt.Errorf("replay %s: remove from dead letter: %w", l.ID, err)
		}
		replayed = append(replayed, l)
	}
	return replayed, nil
}

// unarchive deletes id's task from Asynq's archive if it is still there.
// One trimmed out of the archive by its cap has left its task behind,
// which Asynq then refuses to delete: that one is left to Asynq.
func (d *DeadLetters) unarchive(ctx context.Context, id string) error {
	adapterID, orderID, _ := orderstore.TaskOrder(id)
	queue := d.queue.Layout().Sync(adapterID, orderID)
	err := d.inspector.DeleteTask(queue, id)
	if err == nil || errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if in, zerr := d.record.InArchive(ctx, queue, id); zerr == nil && !in {
		return nil
	}
	return err
}
