package redisconn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own log lines (dial failures, Sentinel
// switching masters) to log at warn level instead of plain text on stderr,
// so that the process's output stays one format. go-redis has a single
// process-wide logger; call this once, from main's wiring.
func SetLogger(log *slog.Logger) {
	redis.SetLogger(goRedisLogger{log.With(slog.String("component", "go-redis"))})
}

type goRedisLogger struct{ l *slog.Logger }

func (g goRedisLogger) Printf(ctx context.Context, format string, v ...any) {
	g.l.WarnContext(ctx, fmt.Sprintf(format, v...))
}
