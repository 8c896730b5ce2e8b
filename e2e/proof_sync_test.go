package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProofKill9WithTwoAttemptsSyncsEverything: serve is killed with
// SIGKILL under load while the adapter allows only max_attempts: 2. The
// restarted process's syncs find the killed one's order locks held until
// they expire; waiting for them is not an attempt, so every order is
// synced and nothing reaches the dead letter.
func TestProofKill9WithTwoAttemptsSyncsEverything(t *testing.T) {
	t.Parallel()
	const adapter = "two-self"
	r := selfService(t, adapter, func(int, put, http.Header) int {
		time.Sleep(100 * time.Millisecond)
		return http.StatusOK
	}, "    retry: {max_attempts: 2, base_delay: 200ms, max_delay: 1s}\n")
	s := r.serve(t)
	orders, events := proofOrders(adapter, "TWO", 150, time.Now())
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		proofDeliverAll(t, s.url, events, 60*time.Second, "deliver")
	}()
	r.p.waitPuts(t, 20)
	s.signal(syscall.SIGKILL)
	<-s.done
	restarted := r.serve(t)
	<-sending
	proofWaitAll(t, restarted.url, adapter, orders, 150*time.Second, proofSettled("cancelled", 1))
	code, out := runCLI(t, "dlq", "list", "--config", r.cfg)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 1 {
		t.Fatalf("dlq list after the kill: exit %d\n%s", code, out)
	}
	restarted.stopClean(t)
}

// TestProofStalledRedisAnswers503: a Redis that accepts connections but
// answers nothing (SIGSTOP) turns a webhook into 503 + Retry-After within
// 5 s and /readyz into 503 within 2 s; continued, it takes webhooks again.
func TestProofStalledRedisAnswers503(t *testing.T) {
	t.Parallel()
	r := selfService(t, "stall-self", nil, "")
	s := r.serve(t)
	now := time.Now().UTC().Truncate(time.Second)
	s.acceptOrder(t, "stall-self", "ST-1", "cr-st1", now)
	s.waitFor(t, "stall-self", "ST-1", "synced", stateIs("cancelled", "synced"))

	r.rs.Pause()
	body, _ := jsonBytes(orderBody("ST-2", "paid", now.Add(-time.Hour), now, nil))
	req, err := signedRequest(s.url, "stall-self", "orders", newID(), time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	// The contract's bounds are the clients' timeouts: no answer in time
	// is an error here.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("webhook with Redis stalled: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("webhook with Redis stalled: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp, err = (&http.Client{Timeout: 2 * time.Second}).Get(s.url + "/readyz")
	if err != nil {
		t.Fatalf("/readyz with Redis stalled: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis stalled: %d", resp.StatusCode)
	}

	r.rs.Resume()
	if !poll(30*time.Second, 100*time.Millisecond, func() bool {
		code, _ := s.post(t, "stall-self", "orders", newID(), orderBody("ST-3", "paid", now.Add(-time.Hour), now, nil))
		return code == http.StatusAccepted
	}) {
		t.Fatal("no webhook accepted after Redis continued")
	}
}
