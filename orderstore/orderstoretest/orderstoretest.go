// Package orderstoretest holds what tests of the store's users need of it:
// a go-redis hook that fails the store's compare-and-set as a Redis
// restart does (the format a store writes is orderstore.Store.ForceFormat).
package orderstoretest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
)

// FailChanges fails the next N runs of the store's compare-and-set, as a
// Redis restart does: the command never ran. Every other command (Asynq's
// own scripts on the same client included) passes. Add it with
// client.AddHook, then set N.
type FailChanges struct{ N atomic.Int32 }

var _ redis.Hook = (*FailChanges)(nil)

// DialHook passes dials through.
func (f *FailChanges) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook fails a compare-and-set while N is above 0.
func (f *FailChanges) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if isChange(cmd) && f.N.Add(-1) >= 0 {
			err := errors.New("EOF (test: Redis restarted)")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook passes pipelines through.
func (f *FailChanges) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func isChange(cmd redis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 2 {
		return false
	}
	switch cmd.Name() {
	case "evalsha":
		return args[1] == orderstore.ChangeScriptHash()
	case "eval":
		src, _ := args[1].(string)
		sum := sha1.Sum([]byte(src))
		return hex.EncodeToString(sum[:]) == orderstore.ChangeScriptHash()
	}
	return false
}
