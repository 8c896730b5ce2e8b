package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
)

// What the servers log: every failed run of a task, and Asynq's own lines.

// failureLog is the servers' asynq.ErrorHandler: every failed run of a
// task is logged with its id (as asynqmon shows it), type and adapter, and
// whether Asynq retries it or archives it.
type failureLog struct{ l *slog.Logger }

func (f failureLog) HandleError(ctx context.Context, t *asynq.Task, err error) {
	log := f.l
	if log == nil {
		log = slog.Default()
	}
	var p struct {
		AdapterID string `json:"a"`
	}
	_ = json.Unmarshal(t.Payload(), &p)
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	log.ErrorContext(ctx, "task failed", slog.String("task_id", id), slog.String("type", t.Type()),
		slog.String("adapter", p.AdapterID), slog.Int("retried", retried), slog.Int("max_retry", maxRetry),
		slog.Bool("archived", retried >= maxRetry || errors.Is(err, asynq.SkipRetry)), slog.String("error", err.Error()))
}

// asynqLogger sends Asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) logger() *slog.Logger {
	if a.l == nil {
		return slog.Default()
	}
	return a.l.With(slog.String("component", "asynq"))
}
func (a asynqLogger) Debug(args ...any) { a.logger().Debug(sprint(args)) }
func (a asynqLogger) Info(args ...any)  { a.logger().Info(sprint(args)) }
func (a asynqLogger) Warn(args ...any)  { a.logger().Warn(sprint(args)) }
func (a asynqLogger) Error(args ...any) { a.logger().Error(sprint(args)) }
func (a asynqLogger) Fatal(args ...any) { a.logger().Error(sprint(args)) }

func sprint(args []any) string {
	return fmt.Sprint(args...)
}
