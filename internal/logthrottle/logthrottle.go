// Package logthrottle is a slog.Handler wrapper that keeps a burst of
// warnings and errors to one line every few seconds, with a count. Asynq's
// servers each log every failed poll, heartbeat and forward: a 15 s Redis
// outage was about 180 ERROR lines from one process. Through this handler it
// is the first error at once, then one line per period saying how many more
// there were and the last of them.
package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Handler passes records below Warn through untouched. Of the records at
// Warn and above, it passes the first, then drops the rest until Every has
// passed since the last line it wrote; at that point it writes the last
// dropped record with "suppressed": how many were dropped. Handlers derived
// with WithAttrs or WithGroup share the same budget.
type Handler struct {
	next  slog.Handler
	state *state
}

type state struct {
	every time.Duration
	now   func() time.Time
	after func(time.Duration, func()) // time.AfterFunc, replaceable in tests

	mu      sync.Mutex
	last    time.Time // when a line was last written
	dropped int
	held    *held // the newest dropped record, written with the count
	armed   bool  // a flush is scheduled
}

type held struct {
	next slog.Handler
	rec  slog.Record
}

// New wraps next; every is the least time between two written warnings or
// errors.
func New(next slog.Handler, every time.Duration) *Handler {
	return &Handler{next: next, state: &state{
		every: every, now: time.Now,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
	}}
}

var _ slog.Handler = (*Handler)(nil)

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{next: h.next.WithAttrs(as), state: h.state}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), state: h.state}
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	s := h.state
	s.mu.Lock()
	now := s.now()
	if s.last.IsZero() || now.Sub(s.last) >= s.every {
		// A quiet spell: this line goes out now, with the count of what
		// was dropped before it, if a flush has not reported it yet.
		dropped := s.dropped
		s.last, s.dropped, s.held = now, 0, nil
		s.mu.Unlock()
		if dropped > 0 {
			r = r.Clone()
			r.AddAttrs(slog.Int("suppressed", dropped))
		}
		return h.next.Handle(ctx, r)
	}
	s.dropped++
	s.held = &held{next: h.next, rec: r.Clone()}
	if !s.armed {
		s.armed = true
		s.after(s.every-now.Sub(s.last), s.flush)
	}
	s.mu.Unlock()
	return nil
}

// flush writes the newest dropped record with the count of dropped ones,
// once a period has passed since the last line.
func (s *state) flush() {
	s.mu.Lock()
	s.armed = false
	hd, dropped := s.held, s.dropped
	if hd == nil {
		s.mu.Unlock()
		return
	}
	s.last, s.dropped, s.held = s.now(), 0, nil
	s.mu.Unlock()
	r := hd.rec
	r.AddAttrs(slog.Int("suppressed", dropped))
	_ = hd.next.Handle(context.Background(), r)
}
