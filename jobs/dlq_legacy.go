package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
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
// asynqArchived is Asynq's sorted set of archived ids of the sync queue,
// scored by the archive time in Unix seconds (Asynq's base.ArchivedKey;
// TestArchivedDeadLetterOfThePreviousRelease fails if it moves).
// adoptedKey holds the archive time up to which the archive was adopted,
// so that a read looks at the archive's newest entries only, not at all
// 10,000 every time.
const (
	asynqArchived = "asynq:{" + QueueSync + "}:archived"
	adoptedKey    = "cancelsync:dlq:adopted"
)

// adoptSlack is how far before adoptedKey a read looks again: archive
// times are whole seconds from the clocks of several processes.
const adoptSlack = time.Minute

// adoptArchived takes into the record the archived sync tasks newer than
// the last adoption that it does not hold.
func (d *DeadLetters) adoptArchived(ctx context.Context) error {
	rdb := d.queue.rdb
	adopted, err := rdb.Get(ctx, adoptedKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("dead letter: %w", err)
	}
	from := max(adopted-int64(adoptSlack/time.Second), 0)
	newest := adopted
	cutoff := d.store.now().Add(-d.store.retention())
	for offset := int64(0); ; offset += deadPage {
		zs, err := rdb.ZRangeByScoreWithScores(ctx, asynqArchived, &redis.ZRangeBy{
			Min: strconv.FormatInt(from, 10), Max: "+inf", Offset: offset, Count: deadPage}).Result()
		if err != nil {
			return fmt.Errorf("dead letter: read Asynq's archive: %w", err)
		}
		if err := d.adoptPage(ctx, zs, cutoff); err != nil {
			return err
		}
		for _, z := range zs {
			newest = max(newest, int64(z.Score))
		}
		if len(zs) < deadPage {
			break
		}
	}
	if newest == adopted {
		return nil
	}
	if err := rdb.Set(ctx, adoptedKey, newest, 0).Err(); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	return nil
}

// adoptPage adopts the dead letters of one page of the archive that the
// record does not hold.
func (d *DeadLetters) adoptPage(ctx context.Context, zs []redis.Z, cutoff time.Time) error {
	rdb := d.queue.rdb
	ids := make([]string, 0, len(zs))
	cmds := make([]*redis.FloatCmd, 0, len(zs))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, z := range zs {
			id, _ := z.Member.(string)
			adapterID, ok := taskAdapter(id)
			if !ok {
				continue
			}
			ids = append(ids, id)
			cmds = append(cmds, p.ZScore(ctx, ixKey(adapterID, ixDead), id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("dead letter: %w", err)
	}
	for i, id := range ids {
		if cmds[i].Err() == nil {
			continue // in the record already
		}
		t, err := d.inspector.GetTaskInfo(QueueSync, id)
		if err != nil || t.State != asynq.TaskStateArchived {
			continue // replayed, run again or trimmed since the page was read
		}
		l := deadLetter(t)
		if l.FailedAt.Before(cutoff) {
			continue
		}
		if err := recordAdd(ctx, rdb, l, d.store.retention()); err != nil {
			return fmt.Errorf("dead letter: adopt %s: %w", id, err)
		}
	}
	return nil
}
