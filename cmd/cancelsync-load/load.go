package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

// exampleSecret is the example config's webhook secret (cancelsync.yaml).
const exampleSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// loadFlags are what every mode that sends webhooks takes.
type loadFlags struct {
	url         string
	adapter     string
	secret      string
	connections int
	duration    time.Duration
	warmup      time.Duration
	count       int
	runID       string
	label       string
	timeout     time.Duration
	rate        float64
	cpuprofile  string
}

func (f *loadFlags) register(fs *flag.FlagSet, defaultCount int) {
	fs.StringVar(&f.url, "url", "http://127.0.0.1:8080", "cancelsync (or baseline) base URL; loopback only")
	fs.StringVar(&f.adapter, "adapter", "bench-self", "adapter id in the webhook URLs")
	fs.StringVar(&f.secret, "secret", exampleSecret, "the adapter's whsec_ secret, to sign with")
	fs.IntVar(&f.connections, "connections", 64, "keep-alive connections (one sender each)")
	fs.DurationVar(&f.duration, "duration", 0, "send for this long (0: use -count)")
	fs.DurationVar(&f.warmup, "warmup", 0, "send unrecorded for this long first")
	fs.IntVar(&f.count, "count", defaultCount, "how many to send when -duration is 0")
	fs.StringVar(&f.runID, "run-id", strconv.FormatInt(time.Now().UnixNano()%1e12, 36), "prefix that keeps ids unique across runs on one Redis")
	fs.StringVar(&f.label, "label", "", "name of this run in the RESULT line")
	fs.DurationVar(&f.timeout, "request-timeout", 10*time.Second, "timeout of one request")
	fs.Float64Var(&f.rate, "rate", 0, "ingest: offer this many requests/s in total instead of as many as the connections carry")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write this process's CPU profile to the file (what the load generator itself costs)")
}

// profile starts the CPU profile -cpuprofile asks for; the returned func
// stops it.
func (f *loadFlags) profile() (func(), error) {
	if f.cpuprofile == "" {
		return func() {}, nil
	}
	out, err := os.Create(f.cpuprofile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		_ = out.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = out.Close() }, nil
}

func (f *loadFlags) check() error {
	if err := loopbackURL(f.url); err != nil {
		return err
	}
	if f.connections < 1 {
		return errors.New("-connections must be at least 1")
	}
	if f.duration <= 0 && f.count <= 0 {
		return errors.New("give -duration or a positive -count")
	}
	if f.duration > time.Hour {
		return errors.New("-duration is capped at 1h")
	}
	if _, err := standardwebhooks.Sign(f.secret, "x", time.Now(), nil); err != nil {
		return fmt.Errorf("-secret: %w", err)
	}
	f.url = strings.TrimRight(f.url, "/")
	return nil
}

// loopbackURL refuses any target that is not on this machine.
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("-url %q: only loopback addresses are allowed", raw)
	}
	return nil
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func loopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !loopbackHost(host) {
		return fmt.Errorf("%q: want a loopback host:port like 127.0.0.1:9090", addr)
	}
	return nil
}

// newClient is a keep-alive client with one connection per sender.
func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil, // loopback only: never a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// sender posts signed webhooks to one adapter.
type sender struct {
	client  *http.Client
	base    string
	adapter string
	secret  string
}

// post signs body as the platform would and posts it to kind ("orders" or
// "cancellations"). It returns the status, or 0 and the transport error.
func (s *sender) post(ctx context.Context, kind, webhookID string, body []byte) (int, error) {
	now := time.Now()
	sig, err := standardwebhooks.Sign(s.secret, webhookID, now, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/webhooks/"+s.adapter+"/"+kind, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = http.Header{
		"Content-Type":      {"application/json"},
		"Webhook-Id":        {webhookID},
		"Webhook-Timestamp": {strconv.FormatInt(now.Unix(), 10)},
		"Webhook-Signature": {sig},
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// recorder collects one sender's latencies and statuses.
type recorder struct {
	lat    []time.Duration
	status map[int]int
	errs   int
	lastEr error
}

func newRecorder() *recorder { return &recorder{status: map[int]int{}} }

func (r *recorder) add(d time.Duration, status int, err error) {
	r.lat = append(r.lat, d)
	if err != nil {
		r.errs++
		r.lastEr = err
		return
	}
	r.status[status]++
}

// summary is the merged result of many recorders over a wall-clock span.
type summary struct {
	n             int
	secs          float64
	p50, p99, max time.Duration
	status        map[int]int
	errs          int
	lastErr       error
}

func summarize(rs []*recorder, span time.Duration) summary {
	s := summary{status: map[int]int{}, secs: span.Seconds()}
	var all []time.Duration
	for _, r := range rs {
		all = append(all, r.lat...)
		for k, v := range r.status {
			s.status[k] += v
		}
		s.errs += r.errs
		if r.lastEr != nil {
			s.lastErr = r.lastEr
		}
	}
	s.n = len(all)
	s.p50, s.p99, s.max = percentiles(all)
	return s
}

// percentiles sorts d and returns its median, 99th percentile and maximum
// (nearest rank).
func percentiles(d []time.Duration) (p50, p99, maxD time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	slices.Sort(d)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(d))+0.999999) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return rank(0.50), rank(0.99), d[len(d)-1]
}

func (s summary) rate() float64 {
	if s.secs <= 0 {
		return 0
	}
	return float64(s.n) / s.secs
}

func ms(d time.Duration) string { return strconv.FormatFloat(d.Seconds()*1000, 'f', 3, 64) }

// fields renders the summary as RESULT key=value pairs.
func (s summary) fields() string {
	var b strings.Builder
	fmt.Fprintf(&b, "n=%d secs=%.3f rps=%.1f p50_ms=%s p99_ms=%s max_ms=%s errors=%d", s.n, s.secs, s.rate(), ms(s.p50), ms(s.p99), ms(s.max), s.errs)
	codes := make([]int, 0, len(s.status))
	for c := range s.status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, " s%d=%d", c, s.status[c])
	}
	return b.String()
}

func (s summary) human() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests in %.2fs: %.0f req/s, latency p50 %s p99 %s max %s ms; statuses", s.n, s.secs, s.rate(), ms(s.p50), ms(s.p99), ms(s.max))
	codes := make([]int, 0, len(s.status))
	for c := range s.status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, " %d×%d", s.status[c], c)
	}
	if s.errs > 0 {
		fmt.Fprintf(&b, "; %d transport errors (last: %v)", s.errs, s.lastErr)
	}
	return b.String()
}

// drive runs conns senders until count jobs are handed out (count > 0) or
// until the deadline, calling job(sender index, job index, due, recorder).
// With rate > 0, job i is due at start + i/rate and its sender waits for
// that; due is what latency is measured from, so a sender that falls
// behind the schedule counts the wait (no coordinated omission). It
// returns the wall-clock span from the first start to the last finish.
func drive(ctx context.Context, conns, count int, until time.Time, rate float64, rs []*recorder, job func(ctx context.Context, w, i int, due time.Time, r *recorder)) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if count > 0 && i >= count {
					return
				}
				due := time.Now()
				if rate > 0 {
					due = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				if !until.IsZero() && time.Now().After(until) {
					return
				}
				job(ctx, w, i, due, rs[w])
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func recorders(n int) []*recorder {
	rs := make([]*recorder, n)
	for i := range rs {
		rs[i] = newRecorder()
	}
	return rs
}

// Bodies are the contract's examples (docs/API.md §3) with the ids replaced.

func snapshotBody(orderID string, placed time.Time) []byte {
	ts := placed.UTC().Format(time.RFC3339)
	b := make([]byte, 0, 400)
	b = append(b, `{"type":"order.created","data":{"order_id":"`...)
	b = append(b, orderID...)
	b = append(b, `","status":"paid","placed_at":"`...)
	b = append(b, ts...)
	b = append(b, `","updated_at":"`...)
	b = append(b, ts...)
	b = append(b, `","buyer_id":"b-17","seller_id":"s-4","total":{"amount":"42.50","currency":"USD"},`+
		`"items":[{"sku":"JKT-M","quantity":1,"price":"42.50"}],"shipped_at":null,"requirements_submitted":false,"work_delivered":false}}`...)
	return b
}

func cancellationBody(orderID, requestID string, at time.Time) []byte {
	b := make([]byte, 0, 260)
	b = append(b, `{"type":"cancellation.requested","data":{"order_id":"`...)
	b = append(b, orderID...)
	b = append(b, `","request_id":"`...)
	b = append(b, requestID...)
	b = append(b, `","initiator":"buyer","reason":"changed_mind","comments":"Ordered the wrong size","occurred_at":"`...)
	b = append(b, at.UTC().Format(time.RFC3339)...)
	b = append(b, `"}}`...)
	return b
}

// runIngest posts unique order snapshots and reports the ingest figures.
func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var f loadFlags
	f.register(fs, 0)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if f.duration <= 0 && f.count <= 0 {
		f.duration = 10 * time.Second
	}
	if err := f.check(); err != nil {
		return err
	}
	stopProfile, err := f.profile()
	if err != nil {
		return err
	}
	defer stopProfile()
	s := &sender{client: newClient(f.connections, f.timeout), base: f.url, adapter: f.adapter, secret: f.secret}
	placed := time.Now().Add(-time.Minute)
	var seq atomic.Int64
	job := func(ctx context.Context, _, _ int, due time.Time, r *recorder) {
		n := seq.Add(1)
		id := "L" + f.runID + "-" + strconv.FormatInt(n, 10)
		body := snapshotBody(id, placed)
		status, err := s.post(ctx, "orders", "w"+id, body)
		r.add(time.Since(due), status, err)
	}
	measure(ctx, &f, "ingest", job, stdout, stderr)
	return ctx.Err()
}

// measure drives job at f's rate, after f.warmup, for f.duration or
// f.count calls, then prints the summary for people (stderr) and the
// RESULT line for scripts (stdout).
func measure(ctx context.Context, f *loadFlags, mode string, job func(ctx context.Context, w, i int, due time.Time, r *recorder), stdout, stderr io.Writer) {
	if f.warmup > 0 {
		drive(ctx, f.connections, 0, time.Now().Add(f.warmup), f.rate, recorders(f.connections), job)
	}
	var until time.Time
	count := f.count
	if f.duration > 0 {
		until, count = time.Now().Add(f.duration), 0
	}
	rs := recorders(f.connections)
	cpu0 := cpuSeconds()
	span := drive(ctx, f.connections, count, until, f.rate, rs, job)
	sum := summarize(rs, span)
	fmt.Fprintf(stderr, "%s %s %s: %s\n", mode, f.label, f.url, sum.human())
	fmt.Fprintf(stdout, "RESULT mode=%s label=%s connections=%d offered_rps=%.0f %s loadgen_cpu_s=%.2f\n", mode, labelOr(f.label, mode), f.connections, f.rate, sum.fields(), cpuSeconds()-cpu0)
}

func labelOr(l, def string) string {
	if l == "" {
		return def
	}
	return l
}
