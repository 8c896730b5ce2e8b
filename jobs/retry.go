package jobs

import (
	"time"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/syncback"
)

// A task fails only when Redis does: a sync's push failures are recorded
// on the order and scheduled by syncback's RetryPolicy, never by Asynq. So
// every task, whatever its adapter's retry block, backs off from
// taskRetryBase to taskRetryCeiling while Redis is away.
const (
	taskRetryBase    = time.Second
	taskRetryCeiling = time.Minute
)

// taskRetryDelay is the servers' asynq.RetryDelayFunc.
func taskRetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	return syncback.Backoff{}.Wait(n, taskRetryBase, taskRetryCeiling)
}

var _ asynq.RetryDelayFunc = taskRetryDelay
