package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sink plays the platform's API: it answers every sync PUT with 200 and
// notes when the first PUT of each benchmark order arrived.
type sink struct {
	prefix  string         // order ids are prefix + index
	arrived []atomic.Int64 // unix nanos of the first PUT per order, 0 until then
	unique  atomic.Int64
	puts    atomic.Int64
	states  sync.Map // state -> *atomic.Int64
	others  atomic.Int64
	want    int64
	done    chan struct{}
	once    sync.Once
}

func newSink(prefix string, n int) *sink {
	return &sink{prefix: prefix, arrived: make([]atomic.Int64, n), want: int64(n), done: make(chan struct{})}
}

var stateField = []byte(`"state":"`)

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	w.WriteHeader(http.StatusOK)
	s.puts.Add(1)
	if i := bytes.Index(body, stateField); i >= 0 {
		rest := body[i+len(stateField):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			c, _ := s.states.LoadOrStore(string(rest[:j]), new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
		}
	}
	// PUT /orders/{prefix}{i}/cancellation
	id, ok := strings.CutPrefix(r.URL.Path, "/orders/"+s.prefix)
	id, ok2 := strings.CutSuffix(id, "/cancellation")
	n, err := strconv.Atoi(id)
	if r.Method != http.MethodPut || !ok || !ok2 || err != nil || n < 0 || n >= len(s.arrived) {
		s.others.Add(1)
		return
	}
	if s.arrived[n].CompareAndSwap(0, now) && s.unique.Add(1) == s.want {
		s.once.Do(func() { close(s.done) })
	}
}

func (s *sink) stateCounts() string {
	var parts []string
	s.states.Range(func(k, v any) bool {
		parts = append(parts, fmt.Sprintf("put_%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	return strings.Join(parts, " ")
}

// runE2E sends n pairs of an order snapshot and a cancellation request of
// that order, then waits until the sink has a PUT for every order.
func runE2E(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	var f loadFlags
	f.register(fs, 10000)
	sinkAddr := fs.String("sink", "", "loopback host:port to receive the sync PUTs on (the adapter's api.base_url)")
	wait := fs.Duration("timeout", 5*time.Minute, "give up waiting for the PUTs after this long")
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	f.duration = 0
	if err := f.check(); err != nil {
		return err
	}
	if err := loopbackAddr(*sinkAddr); err != nil {
		return fmt.Errorf("-sink %w", err)
	}
	stopProfile, err := f.profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	n := f.count
	prefix := "E" + f.runID + "-"
	sk := newSink(prefix, n)
	ln, err := net.Listen("tcp", *sinkAddr)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	srv := &http.Server{Handler: sk, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	s := &sender{client: newClient(f.connections, f.timeout), base: f.url, adapter: f.adapter, secret: f.secret}
	placed := time.Now().Add(-time.Minute)
	sent := make([]int64, n) // unix nanos when the cancellation was sent
	rs := recorders(f.connections)
	cpu0 := cpuSeconds()
	start := time.Now()
	span := drive(ctx, f.connections, n, time.Time{}, 0, rs, func(ctx context.Context, _, i int, _ time.Time, r *recorder) {
		id := prefix + strconv.Itoa(i)
		t0 := time.Now()
		status, err := s.post(ctx, "orders", "w"+id+"-s", snapshotBody(id, placed))
		r.add(time.Since(t0), status, err)
		t1 := time.Now()
		sent[i] = t1.UnixNano()
		status, err = s.post(ctx, "cancellations", "w"+id+"-c", cancellationBody(id, "cr-"+strconv.Itoa(i), t1))
		r.add(time.Since(t1), status, err)
	})
	ingest := summarize(rs, span)

	timer := time.NewTimer(*wait)
	defer timer.Stop()
	var waitErr error
	select {
	case <-sk.done:
	case <-timer.C:
		waitErr = fmt.Errorf("timed out after %v with %d of %d orders synced", *wait, sk.unique.Load(), n)
	case <-ctx.Done():
		waitErr = ctx.Err()
	}
	var last int64
	lat := make([]time.Duration, 0, n)
	for i := range sk.arrived {
		a := sk.arrived[i].Load()
		if a == 0 {
			continue
		}
		last = max(last, a)
		lat = append(lat, time.Duration(a-sent[i]))
	}
	got := sk.unique.Load()
	total := time.Duration(last - start.UnixNano())
	if last == 0 {
		total = time.Since(start)
	}
	rate := float64(got) / total.Seconds()
	p50, p99, maxL := percentiles(lat)
	fmt.Fprintf(stderr, "e2e %s: %d of %d orders synced in %.2fs: %.0f cancellations/s, request-to-PUT p50 %s p99 %s max %s ms (%d PUTs, %s)\n",
		f.label, got, n, total.Seconds(), rate, ms(p50), ms(p99), ms(maxL), sk.puts.Load(), sk.stateCounts())
	fmt.Fprintf(stderr, "e2e %s ingest: %s\n", f.label, ingest.human())
	fmt.Fprintf(stdout, "RESULT mode=e2e label=%s connections=%d pairs=%d synced=%d secs=%.3f cps=%.1f put_p50_ms=%s put_p99_ms=%s put_max_ms=%s puts=%d %s ingest_rps=%.1f ingest_p50_ms=%s ingest_p99_ms=%s ingest_errors=%d ingest_non2xx=%d loadgen_cpu_s=%.2f\n",
		labelOr(f.label, "e2e"), f.connections, n, got, total.Seconds(), rate, ms(p50), ms(p99), ms(maxL), sk.puts.Load(), sk.stateCounts(),
		ingest.rate(), ms(ingest.p50), ms(ingest.p99), ingest.errs, ingest.n-ingest.errs-ingest.status[202]-ingest.status[200], cpuSeconds()-cpu0)
	return waitErr
}
