package e2e

import (
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// proofAck records which webhook-ids were acknowledged (2xx).
type proofAck struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (a *proofAck) add(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ids == nil {
		a.ids = map[string]bool{}
	}
	a.ids[id] = true
}

func (a *proofAck) has(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ids[id]
}

func (a *proofAck) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.ids)
}

// TestProofSIGTERMLosesNothingQueued: `api` accepts 200 orders' events (400
// webhooks) and is stopped with SIGTERM while senders are still posting; every
// 2xx it gave is a task in Redis. `serve` starts, is stopped with SIGTERM in
// the middle of syncing to a slow platform, and starts again: every accepted
// event is decided and synced, exactly one PUT per (order, version), and
// both shutdowns exit 0. What api did not acknowledge the senders deliver
// again to serve, as a platform retries.
func TestProofSIGTERMLosesNothingQueued(t *testing.T) {
	t.Parallel()
	const adapter = "shop-self"
	var slow atomic.Bool
	slow.Store(true)
	r := selfService(t, adapter, func(int, put, http.Header) int {
		if slow.Load() {
			time.Sleep(150 * time.Millisecond)
		}
		return http.StatusOK
	}, "")
	rs, p := r.rs, r.p
	orders, events := proofOrders(adapter, "TERM", 200, time.Now())

	// 1. api only: accept, then SIGTERM while posting goes on.
	api := start(t, "api", r.cfg, r.listen)
	var acked proofAck
	var refused atomic.Int64
	var once sync.Once
	terminate := func() { once.Do(func() { api.signal(syscall.SIGTERM) }) }
	proofRun(8, events, func(ev proofEvent) {
		status, _, _, err := proofSend(api.url, ev)
		switch {
		case err != nil:
			refused.Add(1)
		case status == http.StatusAccepted:
			acked.add(ev.id)
		default:
			t.Errorf("api answered %d", status)
		}
		if acked.len() >= 250 {
			terminate()
		}
	})
	terminate()
	api.stopClean(t)
	queued := proofQueued(t, rs.Addr)
	t.Logf("api acknowledged %d of %d events before SIGTERM (%d refused during shutdown); %d tasks in Redis", acked.len(), len(events), refused.Load(), queued)
	// Every 2xx is durable in Redis: a task, or a snapshot stored at ingest
	// with its webhook-id remembered. (More than the 2xx would not lose
	// anything: the sender re-sends and gets "duplicate".)
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr})
	defer in.Close()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	for _, ev := range events {
		if acked.has(ev.id) && !proofAccepted(t, in, rdb, adapter, ev.id) {
			t.Errorf("%s acknowledged but not in Redis", ev.id)
		}
	}
	stored := proofRemembered(t, rs.Addr, adapter)
	t.Logf("of them %d snapshots stored at ingest", stored)
	if durable := queued + stored; durable != acked.len() {
		t.Logf("%d events durable without their 2xx reaching the sender", durable-acked.len())
	}

	// 2. serve: drain the events, SIGTERM in the middle of syncing.
	srv := r.serve(t)
	p.waitPuts(t, 20)
	began := time.Now()
	srv.stopClean(t)
	t.Logf("serve stopped %v after SIGTERM with %d PUTs done and %d events still queued",
		time.Since(began).Round(time.Millisecond), len(p.received()), proofQueued(t, rs.Addr))

	// 3. serve again: everything acknowledged is there, then the rest.
	slow.Store(false)
	srv = r.serve(t)
	if !poll(60*time.Second, 100*time.Millisecond, func() bool { return proofQueued(t, rs.Addr) == 0 }) {
		t.Fatalf("the events queue did not drain: %+v", proofEventsQueue(t, rs.Addr))
	}
	for i, id := range orders {
		v, err := proofView(srv.url, adapter, id)
		if err != nil {
			t.Fatal(err)
		}
		snap, req := events[2*i], events[2*i+1]
		if acked.has(snap.id) && field(v, "order") == nil {
			t.Errorf("%s: snapshot acknowledged by api but lost: %v", id, v)
		}
		if acked.has(req.id) && field(v, "cancellation") == nil {
			t.Errorf("%s: cancellation acknowledged by api but lost: %v", id, v)
		}
	}
	var resent []proofEvent
	for _, ev := range events {
		if !acked.has(ev.id) {
			resent = append(resent, ev)
		}
	}
	proofDeliverAll(t, srv.url, resent, 30*time.Second, "re-send")
	proofWaitAll(t, srv.url, adapter, orders, 60*time.Second, proofSettled("cancelled", 1))
	if resends := proofSyncLog(t, p.received(), adapter, proofEach(orders, 1)); resends != 0 {
		t.Errorf("%d PUTs sent twice across a graceful shutdown", resends)
	}
	srv.stopClean(t)
}

// TestProofKill9LosesNothing: serve is killed with SIGKILL while it takes
// webhooks and syncs them to a slow platform, Redis running with appendonly.
// Senders keep posting and re-send what got no 2xx; serve is started again
// at once. Every order is decided and synced; a version whose PUT was in
// flight at the kill may reach the platform again, but only under the same
// Idempotency-Key with the same body, so it takes effect once. Asynq only
// hands a killed worker's tasks to another after their lease expires
// (see ASYNQ.md): the test logs how long recovery took.
func TestProofKill9LosesNothing(t *testing.T) {
	t.Parallel()
	const adapter = "shop-self"
	r := selfService(t, adapter, func(int, put, http.Header) int {
		time.Sleep(100 * time.Millisecond)
		return http.StatusOK
	}, "")
	p := r.p
	s := r.serve(t)

	orders, events := proofOrders(adapter, "KILL", 200, time.Now())
	// The restarted process listens on the same address, so the senders
	// just keep re-sending until they get a 2xx.
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		proofDeliverAll(t, s.url, events, 60*time.Second, "deliver")
	}()

	p.waitPuts(t, 30)
	s.signal(syscall.SIGKILL)
	<-s.done
	killedAt := time.Now()
	before := len(p.received())
	restarted := r.serve(t)
	t.Logf("killed serve with %d PUTs received, restarted in %v", before, time.Since(killedAt).Round(time.Millisecond))
	<-sending

	took := proofWaitAll(t, restarted.url, adapter, orders, 150*time.Second, proofSettled("cancelled", 1))
	t.Logf("every order synced %v after the kill (%v after the last delivery)", time.Since(killedAt).Round(time.Second), took.Round(time.Second))
	time.Sleep(time.Second)
	resends := proofSyncLog(t, p.received(), adapter, proofEach(orders, 1))
	t.Logf("%d PUTs re-sent after the kill (same key and body)", resends)
	if resends > 20 { // at most the worker_concurrency in flight at the kill
		t.Errorf("%d re-sends: more than were in flight", resends)
	}
	restarted.stopClean(t)
}

// TestProofRedisOutageUnderLoad: Redis is killed for 10 s while webhooks
// arrive at a steady rate. During the outage ingest answers 503 with
// Retry-After, never a 2xx; the process stays up; after Redis is back (from
// its append-only file) everything acknowledged and everything the senders
// re-delivered is decided and synced once.
func TestProofRedisOutageUnderLoad(t *testing.T) {
	t.Parallel()
	const adapter = "shop-self"
	r := selfService(t, adapter, nil, "")
	rs, p := r.rs, r.p
	s := r.serve(t)

	now := time.Now()
	orders, events := proofOrders(adapter, "REDIS", 150, now)

	type outcome struct {
		sent, got  time.Time
		status     int
		retryAfter bool
		err        error
	}
	var mu sync.Mutex
	var outcomes []outcome
	// Steady load: one new event every 40 ms (25/s) for 12 s, each re-sent
	// 250 ms after a 503 until it is acknowledged.
	var senders sync.WaitGroup
	feeding := make(chan struct{})
	go func() {
		defer close(feeding)
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for _, ev := range events {
			<-tick.C
			senders.Go(func() {
				for time.Since(now) < 90*time.Second {
					sent := time.Now()
					status, hdr, _, err := proofSend(s.url, ev)
					mu.Lock()
					outcomes = append(outcomes, outcome{sent, time.Now(), status, hdr.Get("Retry-After") != "", err})
					mu.Unlock()
					if err == nil && status < 300 {
						return
					}
					time.Sleep(250 * time.Millisecond)
				}
				t.Errorf("%s never acknowledged", ev.id)
			})
		}
	}()
	time.Sleep(3 * time.Second)
	rs.Stop()
	down := time.Now()
	time.Sleep(10 * time.Second)
	up := time.Now()
	rs.Restart()
	<-feeding
	senders.Wait()

	var during, served503 int
	var slowest503 time.Duration
	for _, o := range outcomes {
		if o.err != nil {
			t.Errorf("transport error: %v", o.err)
			continue
		}
		if o.status != http.StatusAccepted && o.status != http.StatusOK && o.status != http.StatusServiceUnavailable {
			t.Errorf("status %d", o.status)
		}
		if o.status == http.StatusServiceUnavailable {
			served503++
			slowest503 = max(slowest503, o.got.Sub(o.sent))
			if !o.retryAfter {
				t.Error("503 without Retry-After")
			}
		}
		if o.sent.After(down) && o.got.Before(up) {
			during++
			if o.status != http.StatusServiceUnavailable {
				t.Errorf("answered %d while Redis was down", o.status)
			}
		}
	}
	t.Logf("%d requests in all, %d of them sent and answered inside the 10 s outage, %d answered 503 (slowest in %v)",
		len(outcomes), during, served503, slowest503.Round(time.Millisecond))
	if during < 20 {
		t.Errorf("only %d requests inside the outage", during)
	}
	// Ingest bounds an enqueue by 5 s; a sender that waited much longer
	// would give up and retry anyway, so a slower answer is a hang.
	if slowest503 > 10*time.Second {
		t.Errorf("a 503 took %v", slowest503)
	}
	proofAlive(t, s)

	took := proofWaitAll(t, s.url, adapter, orders, 150*time.Second, proofSettled("cancelled", 1))
	t.Logf("every order synced %v after the last acknowledgement (%v after Redis came back)", took.Round(time.Second), time.Since(up).Round(time.Second))
	time.Sleep(time.Second)
	if resends := proofSyncLog(t, p.received(), adapter, proofEach(orders, 1)); resends > 0 {
		t.Logf("%d PUTs re-sent (same key and body)", resends)
	}
	proofAlive(t, s)
	if resp, err := httpClient.Get(s.url + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after the outage: %v %v", resp, err)
	}
	s.stopClean(t)
}

// TestProofPlatformOutage: the platform's API is down (connection refused)
// for 30 s while orders get two cancellation states each: v1 the buyer's
// request cancelled, then (after the platform's "cancelled" snapshot) v2 a
// second request denied already_cancelled. Syncs retry with backoff (200 ms
// to 2 s) and, once the platform is back, every version arrives exactly
// once and in version order, and nothing is dead-lettered.
func TestProofPlatformOutage(t *testing.T) {
	t.Parallel()
	const adapter = "shop-self"
	const outage = 30 * time.Second
	r := selfService(t, adapter, nil, "    retry: {max_attempts: 100, base_delay: 200ms, max_delay: 2s}\n")
	p := r.p
	addr := p.srv.Listener.Addr().String()
	s := r.serve(t)

	p.srv.Close()
	downAt := time.Now()
	now := time.Now()
	orders, first := proofOrders(adapter, "PLAT", 60, now)
	var cancelled, second []proofEvent
	for _, id := range orders {
		body, _ := jsonBytes(orderBody(id, "cancelled", now.Add(-time.Hour), now, nil))
		cancelled = append(cancelled, proofEvent{adapter, "orders", newID(), body})
		body, _ = jsonBytes(requestBody(id, "cr2-"+id, "buyer", now.Add(time.Minute)))
		second = append(second, proofEvent{adapter, "cancellations", newID(), body})
	}
	deliver := func(evs []proofEvent) { proofDeliverAll(t, s.url, evs, 30*time.Second, "deliver") }
	deliver(first)
	proofWaitAll(t, s.url, adapter, orders, 20*time.Second, func(v map[string]any) bool {
		return field(v, "cancellation", "state") == "cancelled"
	})
	deliver(cancelled)
	proofWaitAll(t, s.url, adapter, orders, 20*time.Second, func(v map[string]any) bool {
		return field(v, "order", "status") == "cancelled"
	})
	deliver(second)
	// The view's cancellation stays the one that cancelled the order; the
	// second request is the newest of its requests.
	secondDenied := func(v map[string]any) bool {
		return field(v, "cancellation", "state") == "cancelled" &&
			field(newestRequest(v), "denial_reason") == "already_cancelled" && field(newestRequest(v), "version") == float64(2)
	}
	proofWaitAll(t, s.url, adapter, orders, 20*time.Second, secondDenied)
	// While down, every sync is pending and has been tried.
	for _, id := range orders[:5] {
		v, _ := proofView(s.url, adapter, id)
		if field(v, "sync", "state") != "pending" {
			t.Errorf("%s: sync %v while the platform is down", id, field(v, "sync"))
		}
	}
	time.Sleep(time.Until(downAt.Add(outage)))
	upAt := time.Now()
	p.serveOn(t, addr)

	took := proofWaitAll(t, s.url, adapter, orders, 60*time.Second, func(v map[string]any) bool {
		return secondDenied(v) && field(v, "sync", "state") == "synced" && field(v, "sync", "version") == float64(2)
	})
	t.Logf("platform down %v; every order synced %v after it came back", upAt.Sub(downAt).Round(time.Second), took.Round(100*time.Millisecond))
	time.Sleep(time.Second)
	if resends := proofSyncLog(t, p.received(), adapter, proofEach(orders, 1, 2)); resends != 0 {
		t.Errorf("%d PUTs sent twice", resends)
	}
	if code, out := runCLI(t, "dlq", "list", "--json", "--config", r.cfg); code != 0 || out != "" {
		t.Errorf("dlq list: %d %q", code, out)
	}
	proofAlive(t, s)
}

// TestProofRedisRestartLosesNoSync: 30 orders of a selfservice adapter
// (snapshot and a buyer's request each) are accepted, and Redis (append-only,
// fsync always) is stopped with SIGTERM about 100 ms later, in the middle of
// their decisions and syncs, and started again 5 s after. Every order ends
// cancelled and synced (v1 acknowledged by the platform) with the sweeper
// off: a decision whose sync was cut by the restart (its acknowledgement
// not stored) must queue the sync again by itself. The wait allows for
// Asynq's recovery of a task whose dequeue reply the restart cut (its
// lease runs out, then the recoverer's minute).
func TestProofRedisRestartLosesNoSync(t *testing.T) {
	t.Parallel()
	const adapter = "shop-restart"
	// The platform takes 50-250 ms to answer, as a real one does, so that
	// syncs are in flight when Redis goes.
	slow := func(n int, _ put, _ http.Header) int {
		time.Sleep(time.Duration(50+(n*37)%200) * time.Millisecond)
		return http.StatusOK
	}
	r := newRig(t, slow, "sweep_every: 0s\n", adapterConf{id: adapter, platform: "selfservice"})
	s := r.serve(t)

	orders, events := proofOrders(adapter, "RST", 30, time.Now())
	var pairs [][]proofEvent
	for i := 0; i < len(events); i += 2 {
		pairs = append(pairs, events[i:i+2])
	}
	proofRun(30, pairs, func(evs []proofEvent) {
		for _, ev := range evs {
			if status, _, _, err := proofSend(s.url, ev); err != nil || status != http.StatusAccepted {
				t.Errorf("%s %s: %d %v", ev.kind, ev.id, status, err)
			}
		}
	})
	time.Sleep(100 * time.Millisecond)
	r.rs.Terminate()
	time.Sleep(5 * time.Second)
	r.rs.Start()

	took := proofWaitAll(t, s.url, adapter, orders, 150*time.Second, proofSettled("cancelled", 1))
	t.Logf("every order synced %v after Redis came back", took.Round(100*time.Millisecond))
	proofSyncLog(t, r.p.received(), adapter, proofEach(orders, 1))
	s.stopClean(t)
}
