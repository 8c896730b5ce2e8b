package e2e

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestProofDuplicatesUnderConcurrency: 200 orders, each snapshot and each
// cancellation delivered three times (twice under its webhook-id, once
// re-sent by the platform under a new one), all 1,200 deliveries shuffled
// and posted from 16 goroutines at once. Every webhook-id is acknowledged
// 202 once and 200 "duplicate" after that; every order is decided once; the
// platform gets exactly one PUT per (order, version) and no other.
func TestProofDuplicatesUnderConcurrency(t *testing.T) {
	t.Parallel()
	const adapter = "shop-self"
	r := selfService(t, adapter, nil, "")
	p := r.p
	s := r.serve(t)

	orders, events := proofOrders(adapter, "DUP", 200, time.Now())
	var deliveries []proofEvent
	for _, ev := range events {
		again := ev
		again.id = newID() // the platform's own re-send: same event, new message
		deliveries = append(deliveries, ev, ev, again)
	}
	rand.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	type answer struct {
		status int
		body   string
	}
	var mu sync.Mutex
	answers := map[string][]answer{} // webhook-id → answers
	start := time.Now()
	proofRun(16, deliveries, func(ev proofEvent) {
		status, _, body, err := proofSend(s.url, ev)
		if err != nil {
			t.Errorf("%s: %v", ev.id, err)
			return
		}
		mu.Lock()
		answers[ev.id] = append(answers[ev.id], answer{status, field(body, "status").(string)})
		mu.Unlock()
	})
	t.Logf("1,200 deliveries posted in %v", time.Since(start).Round(time.Millisecond))
	for id, as := range answers {
		queued := 0
		for _, a := range as {
			switch {
			case a.status == http.StatusAccepted && a.body == "queued":
				queued++
			case a.status == http.StatusOK && a.body == "duplicate":
			default:
				t.Errorf("%s: answer %d %q", id, a.status, a.body)
			}
		}
		if queued != 1 {
			t.Errorf("%s: queued %d times in %v", id, queued, as)
		}
	}

	took := proofWaitAll(t, s.url, adapter, orders, 60*time.Second, proofSettled("cancelled", 1))
	t.Logf("all 200 orders decided and synced %v after the last delivery", took.Round(time.Millisecond))
	// Anything a duplicate wrongly started would show up by now.
	time.Sleep(time.Second)
	for _, id := range orders {
		v, err := proofView(s.url, adapter, id)
		if err != nil || v == nil {
			t.Fatalf("%s: %v", id, err)
		}
		decided := 0
		for _, h := range v["history"].([]any) {
			if h.(map[string]any)["state"] == "cancelled" {
				decided++
			}
		}
		if decided != 1 || !proofSettled("cancelled", 1)(v) {
			t.Errorf("%s decided %d times: %v", id, decided, v)
		}
	}
	puts := p.received()
	if resends := proofSyncLog(t, puts, adapter, proofEach(orders, 1)); resends != 0 || len(puts) != len(orders) {
		t.Errorf("%d PUTs for %d orders (%d re-sends)", len(puts), len(orders), resends)
	}
	proofAlive(t, s)
}
