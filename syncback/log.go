package syncback

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"
)

// LogAttrs are the correlation attributes of a job's log lines: the ingest
// request id that started the chain (when there is one) and the Asynq task
// id, which asynqmon shows.
func LogAttrs(ctx context.Context, requestID string) []any {
	attrs := make([]any, 0, 2)
	if requestID != "" {
		attrs = append(attrs, slog.String("request_id", requestID))
	}
	if id, ok := asynq.GetTaskID(ctx); ok {
		attrs = append(attrs, slog.String("task_id", id))
	}
	return attrs
}
