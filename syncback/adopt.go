package syncback

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/orderstore/deadletter"
)

// Asynq's archive of the sync queue holds dead letters the record does not:
// those of releases before the record (still written during a rolling
// upgrade), and sync tasks Asynq archives itself, never run by the Syncer
// (an adapter removed from the config, a payload that does not decode,
// Redis failing through all of a task's retries). So every read of the
// dead letter first adopts into the record the archived sync tasks it does
// not hold: those are then listed, counted and replayed like the rest, and
// stay when Asynq trims its archive.
//
// The record notes the archive time up to which the archive was adopted,
// so that a read looks at the archive's newest entries only, not at all
// 10,000 every time.

// adoptSlack is how far before adoptedKey a read looks again: archive
// times are whole seconds from the clocks of several processes.
const adoptSlack = time.Minute

// adoptArchived takes into the record the archived sync tasks newer than
// the last adoption that it does not hold, from every sync queue (one on
// a single Redis).
func (d *DeadLetters) adoptArchived(ctx context.Context) error {
	adopted, err := d.record.Adopted(ctx)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	from := max(adopted-int64(adoptSlack/time.Second), 0)
	newest := adopted
	for _, queue := range d.queue.Layout().SyncQueues() {
		for offset := int64(0); ; offset += deadPage {
			page, err := d.record.ArchivedPage(ctx, queue, from, offset, deadPage)
			if err != nil {
				return fmt.Errorf("dead letter: read Asynq's archive: %w", err)
			}
			if err := d.adoptPage(ctx, queue, page); err != nil {
				return err
			}
			for _, t := range page {
				newest = max(newest, t.At)
			}
			if len(page) < deadPage {
				break
			}
		}
	}
	if newest == adopted {
		return nil
	}
	if err := d.record.SetAdopted(ctx, newest); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	return nil
}

// deadPage is how many archived ids one read takes at a time.
const deadPage = 500

// adoptPage adopts the dead letters of one page of the archive that the
// record does not hold.
func (d *DeadLetters) adoptPage(ctx context.Context, queue string, page []deadletter.ArchivedTask) error {
	ids := make([]string, len(page))
	for i, t := range page {
		ids[i] = t.ID
	}
	missing, err := d.record.Unrecorded(ctx, ids)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	cutoff := d.record.Cutoff()
	for _, id := range missing {
		t, err := d.inspector.GetTaskInfo(queue, id)
		if err != nil || t.State != asynq.TaskStateArchived {
			continue // replayed, run again or trimmed since the page was read
		}
		l := deadLetter(t)
		if l.FailedAt.Before(cutoff) {
			continue
		}
		if err := d.record.Add(ctx, l); err != nil {
			return fmt.Errorf("dead letter: adopt %s: %w", id, err)
		}
	}
	return nil
}
