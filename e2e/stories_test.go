package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// timerWindow is the response window of the stories that watch a deadline
// fire: long enough that a request posted "now" is decided pending_response
// before it passes, even on a slow, loaded machine.
const timerWindow = 10 * time.Second

// TestPlatformStories plays each v1 platform's story through the HTTP API
// of the running binary, as docs/PLATFORMS.md's tables tell them, and checks both
// what the read API shows and what the platform received.
func TestPlatformStories(t *testing.T) {
	t.Parallel()
	platformStories(t, single)
}

func platformStories(t *testing.T, rb redisBackend) {
	r := newRigOn(t, rb(t), nil, "order_wait: 1s",
		adapterConf{id: "shop-self", platform: "selfservice"},
		adapterConf{id: "shop-posh", platform: "poshmark"},
		// shop-ali keeps AliExpress's 48 h window, so a request stays
		// pending however slow the machine; shop-ali-timer's short window
		// lets the deadline fire within the test.
		adapterConf{id: "shop-ali", platform: "aliexpress"},
		adapterConf{id: "shop-ali-timer", platform: "aliexpress", extra: "    policy: {response_window: " + timerWindow.String() + "}\n"},
		adapterConf{id: "shop-fiverr", platform: "fiverr"},
	)
	p := r.p
	s := r.serve(t)
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("selfservice: buyer cancels an unshipped order at once", func(t *testing.T) {
		s.acceptOrder(t, "shop-self", "S-1", "cr-s1", now)
		v := s.waitFor(t, "shop-self", "S-1", "cancelled+synced", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "refund", "method") != "original_payment" || field(v, "cancellation", "version") != 1.0 {
			t.Fatalf("view %v", v)
		}
		// Shipped first: denied.
		s.accept(t, "shop-self", "orders", orderBody("S-2", "shipped", now.Add(-time.Hour), now, map[string]any{"shipped_at": now.Format(time.RFC3339)}))
		s.accept(t, "shop-self", "cancellations", requestBody("S-2", "cr-s2", "merchant", now))
		v = s.waitFor(t, "shop-self", "S-2", "denied", stateIs("denied", "synced"))
		if field(v, "cancellation", "denial_reason") != "already_shipped" {
			t.Fatalf("view %v", v)
		}
	})

	t.Run("poshmark: buyer within 3h gets credit, later is denied", func(t *testing.T) {
		s.accept(t, "shop-posh", "orders", orderBody("P-1", "paid", now.Add(-2*time.Hour), now, nil))
		s.accept(t, "shop-posh", "cancellations", requestBody("P-1", "cr-p1", "buyer", now))
		v := s.waitFor(t, "shop-posh", "P-1", "cancelled", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "refund", "method") != "platform_credit" || field(v, "cancellation", "refund", "amount") != "42.50" {
			t.Fatalf("view %v", v)
		}
		s.accept(t, "shop-posh", "orders", orderBody("P-2", "paid", now.Add(-4*time.Hour), now, nil))
		s.accept(t, "shop-posh", "cancellations", requestBody("P-2", "cr-p2", "buyer", now))
		v = s.waitFor(t, "shop-posh", "P-2", "denied", stateIs("denied", "synced"))
		if field(v, "cancellation", "denial_reason") != "window_expired" {
			t.Fatalf("view %v", v)
		}
		// The seller may cancel after the window, refunded to the original payment.
		s.accept(t, "shop-posh", "orders", orderBody("P-3", "paid", now.Add(-5*time.Hour), now, nil))
		s.accept(t, "shop-posh", "cancellations", requestBody("P-3", "cr-p3", "seller", now))
		v = s.waitFor(t, "shop-posh", "P-3", "cancelled", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "refund", "method") != "original_payment" {
			t.Fatalf("view %v", v)
		}
	})

	t.Run("aliexpress: buyer asks, seller declines, dispute; silence auto-approves", func(t *testing.T) {
		s.acceptOrder(t, "shop-ali", "A-1", "cr-a1", now)
		v := s.waitFor(t, "shop-ali", "A-1", "pending", stateIs("pending_response", "synced"))
		if field(v, "cancellation", "respond_by") == nil {
			t.Fatalf("no respond_by: %v", v)
		}
		s.accept(t, "shop-ali", "cancellations", responseBody("A-1", "cr-a1", "seller", "decline", now))
		s.waitFor(t, "shop-ali", "A-1", "escalated", stateIs("escalated", "synced"))

		// Occurring as it is posted, with a short response window: the
		// request is pending first (version 1, pushed to the platform and
		// in the history), then the deadline fires (version 2). Both are
		// checked after the fact, so a slow machine cannot miss the pending
		// state between two polls.
		s.accept(t, "shop-ali-timer", "orders", orderBody("A-2", "paid", now.Add(-time.Hour), now, nil))
		s.waitFor(t, "shop-ali-timer", "A-2", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "shop-ali-timer", "cancellations", requestBody("A-2", "cr-a2", "buyer", time.Now()))
		v = s.waitFor(t, "shop-ali-timer", "A-2", "auto-approved", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "version") != 2.0 {
			t.Fatalf("view %v", v)
		}
		var states []string
		for _, pu := range p.received() {
			if pu.OrderID == "A-2" {
				states = append(states, fmt.Sprint(pu.Body["version"], " ", pu.Body["state"]))
			}
		}
		if !slices.Equal(states, []string{"1 pending_response", "2 cancelled"}) {
			t.Fatalf("A-2 synced %q, want version 1 pending_response then 2 cancelled", states)
		}
		var hist []any
		for _, h := range v["history"].([]any) {
			hist = append(hist, field(h.(map[string]any), "state"))
		}
		if i := slices.Index(hist, any("pending_response")); i < 0 || !slices.Contains(hist[i+1:], any("cancelled")) {
			t.Fatalf("A-2 history states %v, want pending_response then cancelled", hist)
		}
	})

	t.Run("fiverr: seller asks after requirements, buyer accepts, seller stats hit", func(t *testing.T) {
		s.accept(t, "shop-fiverr", "orders", orderBody("F-1", "delivered", now.Add(-time.Hour), now,
			map[string]any{"requirements_submitted": true, "work_delivered": true}))
		// Workers take tasks in parallel: let the snapshot land first, so the
		// history below has one entry per webhook.
		s.waitFor(t, "shop-fiverr", "F-1", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "shop-fiverr", "cancellations", requestBody("F-1", "cr-f1", "seller", now))
		s.waitFor(t, "shop-fiverr", "F-1", "pending", stateIs("pending_response", "synced"))
		// A response from the requester's own side is recorded and ignored.
		s.accept(t, "shop-fiverr", "cancellations", responseBody("F-1", "cr-f1", "seller", "accept", now))
		s.waitFor(t, "shop-fiverr", "F-1", "own-side response recorded", func(v map[string]any) bool { return len(v["history"].([]any)) == 3 })
		s.accept(t, "shop-fiverr", "cancellations", responseBody("F-1", "cr-f1", "buyer", "accept", now))
		v := s.waitFor(t, "shop-fiverr", "F-1", "cancelled", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "affects_seller_stats") != true || field(v, "cancellation", "version") != 2.0 {
			t.Fatalf("view %v", v)
		}
		hist := v["history"].([]any)
		if len(hist) != 4 || field(hist[2].(map[string]any), "note") == nil {
			t.Fatalf("history %v", hist)
		}
	})

	t.Run("a request before its order waits, then is denied order_unknown", func(t *testing.T) {
		s.accept(t, "shop-self", "cancellations", requestBody("S-9", "cr-s9", "buyer", now))
		v := s.waitFor(t, "shop-self", "S-9", "awaiting", stateIs("awaiting_order", ""))
		if v["order"] != nil || v["sync"] != nil {
			t.Fatalf("awaiting view %v", v)
		}
		v = s.waitFor(t, "shop-self", "S-9", "order_unknown", stateIs("denied", "synced"))
		if field(v, "cancellation", "denial_reason") != "order_unknown" {
			t.Fatalf("view %v", v)
		}
	})

	// Every PUT carried the adapter's token and an idempotency key.
	for _, pu := range p.received() {
		if pu.Auth == "" || pu.IdempotencyKey == "" {
			t.Fatalf("PUT without auth or key: %+v", pu)
		}
	}
	s.stopClean(t)
}
