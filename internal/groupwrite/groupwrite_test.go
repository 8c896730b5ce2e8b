package groupwrite

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// gate is a writer underneath that records each write whole and, when
// gated, lets a write finish only for a token.
type gate struct {
	mu      sync.Mutex
	writes  [][]byte
	entered chan struct{} // a write began (buffered)
	tokens  chan struct{} // nil: never blocks
}

func (g *gate) Write(p []byte) (int, error) {
	if g.entered != nil {
		select {
		case g.entered <- struct{}{}:
		default:
		}
	}
	if g.tokens != nil {
		<-g.tokens
	}
	g.mu.Lock()
	g.writes = append(g.writes, bytes.Clone(p))
	g.mu.Unlock()
	return len(p), nil
}

func (g *gate) all() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return string(bytes.Join(g.writes, nil))
}

// lines checks that out holds every writer's lines whole and in its order.
func lines(t *testing.T, out string, writers, each int) {
	t.Helper()
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(got) != writers*each {
		t.Fatalf("%d lines, want %d", len(got), writers*each)
	}
	for _, l := range got {
		var w, n int
		if _, err := fmt.Sscanf(l, "writer %d line %d end", &w, &n); err != nil || w < 0 || w >= writers {
			t.Fatalf("torn or foreign line %q", l)
		}
		if n != next[w] {
			t.Fatalf("writer %d: line %d after %d", w, n, next[w]-1)
		}
		next[w]++
	}
}

func TestEveryLineArrivesWholeAndInEachWritersOrder(t *testing.T) {
	under := &gate{}
	g := New(under, 0)
	const writers, each = 16, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := range each {
				if _, err := fmt.Fprintf(g, "writer %d line %d end\n", w, n); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	lines(t, under.all(), writers, each)
}

func TestWritesDuringAWriteGoOutAsOneBatch(t *testing.T) {
	under := &gate{entered: make(chan struct{}, 1), tokens: make(chan struct{})}
	g := New(under, 0)
	fmt.Fprintf(g, "writer 0 line 0 end\n")
	<-under.entered // the first line is being written, alone
	for n := 1; n <= 100; n++ {
		fmt.Fprintf(g, "writer 0 line %d end\n", n)
	}
	close(under.tokens)
	g.Close()
	if len(under.writes) != 2 {
		t.Fatalf("%d writes underneath, want 2 (the first line, then the 100 queued meanwhile)", len(under.writes))
	}
	lines(t, under.all(), 1, 101)
}

func TestQueueIsBoundedWhileTheWriterUnderneathIsSlow(t *testing.T) {
	under := &gate{tokens: make(chan struct{})}
	const limit = 64
	g := New(under, limit)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := range each {
				fmt.Fprintf(g, "writer %d line %d end\n", w, n)
			}
		})
	}
	stop := make(chan struct{})
	go func() { // one write underneath at a time, for as long as asked
		for {
			select {
			case under.tokens <- struct{}{}:
			case <-stop:
				return
			}
		}
	}()
	wg.Wait()
	g.Close()
	close(stop)
	longest := len("writer 7 line 49 end\n")
	for i, b := range under.writes {
		if len(b) >= limit+longest {
			t.Fatalf("batch %d is %d bytes: the queue grew past its limit %d (+ one line)", i, len(b), limit)
		}
	}
	lines(t, under.all(), writers, each)
}

func TestAfterCloseWritesGoStraightThrough(t *testing.T) {
	under := &gate{}
	g := New(under, 0)
	fmt.Fprintf(g, "writer 0 line 0 end\n")
	g.Close()
	if got := under.all(); got != "writer 0 line 0 end\n" {
		t.Fatalf("after Close: %q", got)
	}
	fmt.Fprintf(g, "writer 0 line 1 end\n")
	if len(under.writes) != 2 {
		t.Fatalf("%d writes underneath, want the late line written at once", len(under.writes))
	}
	if err := g.Close(); err != nil { // twice is fine
		t.Fatal(err)
	}
	lines(t, under.all(), 1, 2)
}

// BenchmarkWrite is what a queued line costs its writer, from 8 goroutines
// (no allocation once the buffers have grown). What the Writer saves, the
// write system calls on a real file, scripts/bench measures.
func BenchmarkWrite(b *testing.B) {
	line := []byte(`{"time":"2026-12-03T13:14:44.343Z","level":"INFO","msg":"webhook","adapter":"bench-self","status":202}` + "\n")
	g := New(discard{}, 0)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Write(line)
		}
	})
	g.Close()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
