package e2e

// Helpers of the fault, load and hostile-input proofs (proof_*_test.go).
// Unlike service.post and service.view they never call t.Fatal, so they run
// off the test goroutine and keep going while the service is down.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/tasks"
)

// proofEvent is one webhook as a platform would (re-)send it.
type proofEvent struct {
	adapter, kind, id string
	body              []byte
}

// proofSend signs and posts ev once. err is a transport error (the process
// is down or restarting): nothing was acknowledged.
func proofSend(url string, ev proofEvent) (status int, hdr http.Header, body map[string]any, err error) {
	req, err := signedRequest(url, ev.adapter, ev.kind, ev.id, time.Now(), ev.body)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, resp.Header, body, nil
}

// proofDeliver sends ev until it is acknowledged (2xx), the way a platform
// retries a webhook: after a transport error or a 503 it waits and tries
// again. Any other answer is returned as it is. It gives up at deadline.
func proofDeliver(url string, ev proofEvent, deadline time.Time) (status int, err error) {
	for {
		status, hdr, _, err := proofSend(url, ev)
		switch {
		case err == nil && status < 300:
			return status, nil
		case err == nil && status == http.StatusServiceUnavailable && hdr.Get("Retry-After") == "":
			return status, fmt.Errorf("503 without Retry-After")
		case err == nil && status != http.StatusServiceUnavailable:
			return status, fmt.Errorf("unexpected status %d", status)
		}
		if time.Now().After(deadline) {
			return status, fmt.Errorf("not acknowledged by the deadline (last: %d %v)", status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// proofDeliverAll delivers every event (proofDeliver) from 8 goroutines,
// each within d, and reports each that was not acknowledged as what.
func proofDeliverAll(t *testing.T, url string, evs []proofEvent, d time.Duration, what string) {
	proofRun(8, evs, func(ev proofEvent) {
		if _, err := proofDeliver(url, ev, time.Now().Add(d)); err != nil {
			t.Errorf("%s %s: %v", what, ev.id, err)
		}
	})
}

// proofOrderEvents are the two webhooks of one order of the proofs: a paid
// order's snapshot and a buyer's cancellation request, each under a fresh
// webhook-id.
func proofOrderEvents(adapter, orderID string, now time.Time) (snapshot, request proofEvent) {
	snap, _ := json.Marshal(orderBody(orderID, "paid", now.Add(-time.Hour), now.Add(-time.Minute), nil))
	req, _ := json.Marshal(requestBody(orderID, "cr-"+orderID, "buyer", now))
	return proofEvent{adapter, "orders", newID(), snap}, proofEvent{adapter, "cancellations", newID(), req}
}

// proofOrders names n orders (prefix-000, …) and makes their events: for
// order i, events[2i] is its snapshot and events[2i+1] its request
// (proofOrderEvents).
func proofOrders(adapter, prefix string, n int, now time.Time) (orders []string, events []proofEvent) {
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		snap, req := proofOrderEvents(adapter, id, now)
		orders, events = append(orders, id), append(events, snap, req)
	}
	return orders, events
}

// proofRun runs fn over every item from workers goroutines.
func proofRun[T any](workers int, items []T, fn func(T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for it := range ch {
				fn(it)
			}
		})
	}
	for _, it := range items {
		ch <- it
	}
	close(ch)
	wg.Wait()
}

// proofView reads an order's view; 404 gives nil and no error.
func proofView(url, adapter, orderID string) (map[string]any, error) {
	code, v, err := getView(url, adapter, orderID)
	switch {
	case err != nil:
		return nil, err
	case code == http.StatusNotFound:
		return nil, nil
	case code != http.StatusOK:
		return nil, fmt.Errorf("view %s: %d", orderID, code)
	}
	return v, nil
}

// proofSettled holds when the order's current cancellation is in state at
// version and that version is synced.
func proofSettled(state string, version int) func(v map[string]any) bool {
	return func(v map[string]any) bool {
		return field(v, "cancellation", "state") == state &&
			field(v, "cancellation", "version") == float64(version) &&
			field(v, "sync", "state") == "synced" && field(v, "sync", "version") == float64(version)
	}
}

// proofWaitAll polls the views of orders until cond holds for each, and
// returns how long that took. It fails the test at timeout, naming what is
// still missing.
func proofWaitAll(t *testing.T, url, adapter string, orders []string, timeout time.Duration, cond func(v map[string]any) bool) time.Duration {
	t.Helper()
	start := time.Now()
	left := append([]string(nil), orders...)
	var last map[string]any
	if !poll(timeout, 250*time.Millisecond, func() bool {
		var still []string
		for _, id := range left {
			v, err := proofView(url, adapter, id)
			if err != nil || v == nil || !cond(v) {
				still = append(still, id)
				last = v
			}
		}
		left = still
		return len(left) == 0
	}) {
		t.Fatalf("after %v, %d of %d orders not there yet (first %s, its view %v)", timeout, len(left), len(orders), left[0], last)
	}
	return time.Since(start)
}

// proofSyncLog checks what the fake platform received: for every order, one
// Idempotency-Key per version (adapter:request:version), every re-send of a
// version identical to the first, versions arriving in increasing order, and
// exactly the versions in want. It returns how many PUTs were re-sends of a
// version already received (exactly-once in effect through the key, not on
// the wire).
func proofSyncLog(t *testing.T, puts []put, adapter string, want map[string][]int) (resends int) {
	t.Helper()
	type first struct {
		key  string
		body string
	}
	seen := map[string]map[int]first{} // order → version → first PUT
	lastVersion := map[string]int{}
	for _, p := range puts {
		v := int(p.Body["version"].(float64))
		body, _ := json.Marshal(p.Body)
		wantKey := fmt.Sprintf("%s:%v:%d", adapter, p.Body["request_id"], v)
		if p.IdempotencyKey != wantKey {
			t.Errorf("order %s v%d: Idempotency-Key %q, want %q", p.OrderID, v, p.IdempotencyKey, wantKey)
		}
		if seen[p.OrderID] == nil {
			seen[p.OrderID] = map[int]first{}
		}
		if f, ok := seen[p.OrderID][v]; ok {
			resends++
			if f.key != p.IdempotencyKey || f.body != string(body) {
				t.Errorf("order %s v%d sent twice with different content:\n%s %s\n%s %s", p.OrderID, v, f.key, f.body, p.IdempotencyKey, body)
			}
		} else {
			seen[p.OrderID][v] = first{p.IdempotencyKey, string(body)}
		}
		if v < lastVersion[p.OrderID] {
			t.Errorf("order %s: v%d arrived after v%d", p.OrderID, v, lastVersion[p.OrderID])
		}
		lastVersion[p.OrderID] = max(lastVersion[p.OrderID], v)
	}
	for order, versions := range want {
		if len(seen[order]) != len(versions) {
			t.Errorf("order %s: versions %v synced, want %v", order, keysOf(seen[order]), versions)
			continue
		}
		for _, v := range versions {
			if _, ok := seen[order][v]; !ok {
				t.Errorf("order %s: v%d never synced (got %v)", order, v, keysOf(seen[order]))
			}
		}
	}
	for order := range seen {
		if _, ok := want[order]; !ok {
			t.Errorf("order %s synced but not expected", order)
		}
	}
	return resends
}

func keysOf[V any](m map[int]V) []int {
	var ks []int
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// proofEach maps every order to the same wanted versions.
func proofEach(orders []string, versions ...int) map[string][]int {
	m := make(map[string][]int, len(orders))
	for _, o := range orders {
		m[o] = versions
	}
	return m
}

// proofEventsQueue is the events queue's info in Redis at addr.
func proofEventsQueue(t *testing.T, addr string) *asynq.QueueInfo {
	t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr})
	defer in.Close()
	queues, err := in.Queues()
	if err != nil {
		t.Fatalf("queues: %v", err)
	}
	if !slices.Contains(queues, tasks.QueueEvents) {
		return &asynq.QueueInfo{} // nothing was ever queued
	}
	q, err := in.GetQueueInfo(tasks.QueueEvents)
	if err != nil {
		t.Fatalf("queue info: %v", err)
	}
	return q
}

// proofRemembered is the number of the adapter's webhook-ids that Redis at
// addr remembers as accepted (orderstore.DeliveryKey): among them every snapshot
// stored at ingest, which is durable without an event task (docs/API.md
// §3, "Where a delivery is applied").
func proofRemembered(t *testing.T, addr, adapter string) int {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), orderstore.DeliveryKey(adapter, "*")).Result()
	if err != nil {
		t.Fatalf("remembered deliveries: %v", err)
	}
	return len(keys)
}

// proofAccepted reports whether a delivery is durable in Redis at addr: an
// event task, or a remembered webhook-id (a snapshot stored at ingest).
func proofAccepted(t *testing.T, in *asynq.Inspector, rdb *redis.Client, adapter, webhookID string) bool {
	t.Helper()
	if _, err := in.GetTaskInfo(tasks.QueueEvents, tasks.EventTaskID(adapter, webhookID)); err == nil {
		return true
	}
	n, err := rdb.Exists(context.Background(), orderstore.DeliveryKey(adapter, webhookID)).Result()
	if err != nil {
		t.Fatalf("remembered delivery: %v", err)
	}
	return n == 1
}

// proofEverQueued is the number of event tasks ever queued in Redis at
// addr: those still there plus those processed.
func proofEverQueued(t *testing.T, addr string) int {
	t.Helper()
	q := proofEventsQueue(t, addr)
	return q.Size + q.ProcessedTotal
}

// proofQueued is the number of event tasks waiting to run or running
// (pending, active or retrying) in Redis at addr; timers scheduled for later
// (order_wait, respond_by) do not count.
func proofQueued(t *testing.T, addr string) int {
	t.Helper()
	q := proofEventsQueue(t, addr)
	return q.Pending + q.Active + q.Retry
}

// proofRSS is the resident set size of process pid, in bytes (Linux).
func proofRSS(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// proofAlive fails the test if the service process has exited.
func proofAlive(t *testing.T, s *service) {
	t.Helper()
	select {
	case <-s.done:
		t.Fatalf("the process exited with %d", s.code)
	default:
	}
	resp, err := httpClient.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}
