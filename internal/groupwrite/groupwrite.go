// Package groupwrite joins the writes that many goroutines make at the same
// time into one write to the writer underneath, the way internal/autopipe
// joins Redis commands: while one batch is being written, whatever arrives
// meanwhile gathers into the next. Nothing waits for a timer, so an idle
// process writes each log line at once, as before; a busy one pays one write
// system call per batch instead of one per line, and no logging goroutine
// holds slog's handler lock across a system call.
//
// A batch is handed to the writer underneath by one goroutine, in the order
// the writes arrived. A write returns once its bytes are queued, so the
// lines still queued when the process is killed (SIGKILL, a crash) are lost:
// at most what arrived while one write was in flight. Close writes out
// everything queued; call it before the process exits.
package groupwrite

import (
	"io"
	"sync"
)

// DefaultLimit is how many bytes may wait before a write blocks until the
// writer underneath has taken them (a slow terminal or pipe slows the
// loggers down, as it did when they wrote themselves, instead of growing
// memory).
const DefaultLimit = 1 << 20

// Writer is an io.Writer that queues its writes for one goroutine to write
// out in batches. Its methods are safe for concurrent use.
type Writer struct {
	w     io.Writer
	limit int

	mu     sync.Mutex
	taken  *sync.Cond // signalled when the writing goroutine took a batch
	buf    []byte     // queued, not yet taken
	closed bool
	kick   chan struct{} // one pending wake-up for the writing goroutine
	done   chan struct{} // closed when the writing goroutine wrote its last batch
}

// New starts a Writer in front of w that lets up to limit bytes wait (0:
// DefaultLimit).
func New(w io.Writer, limit int) *Writer {
	if limit <= 0 {
		limit = DefaultLimit
	}
	g := &Writer{w: w, limit: limit, kick: make(chan struct{}, 1), done: make(chan struct{})}
	g.taken = sync.NewCond(&g.mu)
	go g.loop()
	return g
}

// Write queues a copy of p and returns; after Close it writes p itself.
// Errors of the writer underneath are not reported: there is nobody left to
// tell when logging itself fails (slog drops them too).
func (g *Writer) Write(p []byte) (int, error) {
	g.mu.Lock()
	for len(g.buf) >= g.limit && !g.closed {
		g.taken.Wait()
	}
	if g.closed {
		g.mu.Unlock()
		<-g.done // after the last batch, in order
		return g.w.Write(p)
	}
	g.buf = append(g.buf, p...)
	select {
	case g.kick <- struct{}{}:
	default: // a wake-up is pending: it takes these bytes too
	}
	g.mu.Unlock()
	return len(p), nil
}

// Close writes out everything queued and stops the writing goroutine. Later
// writes go straight to the writer underneath. It may be called more than
// once.
func (g *Writer) Close() error {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.kick)
		g.taken.Broadcast()
	}
	g.mu.Unlock()
	<-g.done
	return nil
}

func (g *Writer) loop() {
	defer close(g.done)
	var out []byte
	// Every queued write leaves a wake-up pending, and a closed channel
	// still delivers it: the last batch is taken before the loop ends.
	for range g.kick {
		out = g.take(out)
	}
}

// take swaps the queue for the empty spare, writes what it held and returns
// that buffer emptied, to be the next spare.
func (g *Writer) take(spare []byte) []byte {
	g.mu.Lock()
	out := g.buf
	g.buf = spare[:0]
	g.taken.Broadcast()
	g.mu.Unlock()
	if len(out) > 0 {
		_, _ = g.w.Write(out)
	}
	if cap(out) > 4*g.limit { // a burst grew it: let it go
		return nil
	}
	return out[:0]
}
