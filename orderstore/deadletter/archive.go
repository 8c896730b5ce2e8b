package deadletter

import (
	"context"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Asynq's archive of the sync queue holds dead letters the record may not
// (those of releases before the record, and sync tasks Asynq archived
// itself); the dead letter adopts them into the record. These are the
// reads and the mark that adoption needs; what a task says is the tasks'.

// ArchivedTask is one id in Asynq's archive of a queue, with its archive
// time in Unix seconds.
type ArchivedTask struct {
	ID string
	At int64
}

// ArchivedPage reads up to count ids archived at or after from (Unix s)
// in queue's archive, skipping offset, oldest first.
func (r *Record) ArchivedPage(ctx context.Context, queue string, from, offset, count int64) ([]ArchivedTask, error) {
	zs, err := r.rdb.ZRangeByScoreWithScores(ctx, r.src.ArchivedKey(queue), &redis.ZRangeBy{
		Min: strconv.FormatInt(from, 10), Max: "+inf", Offset: offset, Count: count}).Result()
	if err != nil {
		return nil, err
	}
	out := make([]ArchivedTask, 0, len(zs))
	for _, z := range zs {
		id, _ := z.Member.(string)
		out = append(out, ArchivedTask{ID: id, At: int64(z.Score)})
	}
	return out, nil
}

// InArchive reports whether id is in queue's archive.
func (r *Record) InArchive(ctx context.Context, queue, id string) (bool, error) {
	err := r.rdb.ZScore(ctx, r.src.ArchivedKey(queue), id).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil, err
}

// Adopted is the archive time (Unix s) up to which the archive was
// adopted into the record; 0 before the first adoption.
func (r *Record) Adopted(ctx context.Context) (int64, error) {
	n, err := r.rdb.Get(ctx, r.src.AdoptedKey()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// SetAdopted notes that the archive was adopted up to at (Unix s).
func (r *Record) SetAdopted(ctx context.Context, at int64) error {
	return r.rdb.Set(ctx, r.src.AdoptedKey(), at, 0).Err()
}

// Unrecorded returns those of ids (dead-letter ids, Layout.ID, or sync
// task ids) that are not in their adapter's record, in one round trip;
// an id that names no adapter is left out.
func (r *Record) Unrecorded(ctx context.Context, ids []string) ([]string, error) {
	kept := make([]string, 0, len(ids))
	cmds := make([]*redis.FloatCmd, 0, len(ids))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			tag, ok := r.tagOf(id)
			if !ok {
				continue
			}
			kept = append(kept, id)
			cmds = append(cmds, p.ZScore(ctx, r.src.Key(tag, ixDead), id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []string
	for i, id := range kept {
		if cmds[i].Err() != nil {
			out = append(out, id)
		}
	}
	return out, nil
}
