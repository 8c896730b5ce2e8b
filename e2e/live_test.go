package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

// secretB is the secret a rotation moves to (secret is the first one).
const secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="

// liveAdapter is one adapter of a config the live test rewrites.
type liveAdapter struct {
	id      string
	secrets []string
	token   string
	window  string // policy.cancel_window; "" keeps Poshmark's 3 h
}

// liveConfig is the file the live test writes before each SIGHUP.
type liveConfig struct {
	listen, redisURL, baseURL string
	adapters                  []liveAdapter
	broken                    bool // add an adapter with a secret in no platform's format
}

func (c liveConfig) yaml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nredis_url: %q\nadmin_token: %q\nshutdown_timeout: 10s\nworker_concurrency: 20\ntimer_resolution: 100ms\nadapters:\n",
		c.listen, c.redisURL, adminToken)
	for _, a := range c.adapters {
		quoted := make([]string, len(a.secrets))
		for i, s := range a.secrets {
			quoted[i] = strconv.Quote(s)
		}
		fmt.Fprintf(&b, "  - id: %s\n    platform: poshmark\n    secrets: [%s]\n    api: {base_url: %q, token: %q, timeout: 2s}\n    retry: {base_delay: 100ms, max_delay: 1s}\n",
			a.id, strings.Join(quoted, ", "), c.baseURL, a.token)
		if a.window != "" {
			fmt.Fprintf(&b, "    policy: {cancel_window: %s}\n", a.window)
		}
	}
	if c.broken {
		fmt.Fprintf(&b, "  - id: broken\n    platform: poshmark\n    secrets: [\"not-a-whsec-secret\"]\n    api: {base_url: %q}\n", c.baseURL)
	}
	return b.String()
}

// writeAtomically replaces path's content in one rename, so a reload never
// reads half a file.
func writeAtomically(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".next.yaml")
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// postWith signs body with sec and posts it; the status, or 0 on a
// transport error.
func postWith(url, adapter, kind, sec string, body any) int {
	raw, _ := jsonBytes(body)
	id, ts := newID(), time.Now()
	sig, err := standardwebhooks.Sign(sec, id, ts, raw)
	if err != nil {
		return 0
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/"+adapter+"/"+kind, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// sender is the platform side of the live test: it posts an order and a
// buyer's cancellation to each of its targets over and over, signed with
// the secret it holds for each, and remembers every order it got 202 for.
type sender struct {
	url string
	// moving is held for reading by each round of posts and for writing
	// by set, so that set returns only once no post signed the old way is
	// still in flight: a sender that moved has moved.
	moving  sync.RWMutex
	mu      sync.Mutex
	targets map[string]string // adapter → secret the sender signs with
	orders  map[string][]string
	bad     []string // answers other than 202
	n       int
}

func (s *sender) set(adapter, sec string) {
	s.moving.Lock()
	defer s.moving.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec == "" {
		delete(s.targets, adapter)
	} else {
		s.targets[adapter] = sec
	}
}

// run posts until stop closes or max orders are sent.
func (s *sender) run(stop <-chan struct{}, max int) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if !s.round(max) {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// round posts one order to each target; false once max orders are sent.
func (s *sender) round(max int) bool {
	s.moving.RLock()
	defer s.moving.RUnlock()
	s.mu.Lock()
	targets := make(map[string]string, len(s.targets))
	for a, sec := range s.targets {
		targets[a] = sec
	}
	s.mu.Unlock()
	for a, sec := range targets {
		s.mu.Lock()
		s.n++
		n := s.n
		s.mu.Unlock()
		if n > max {
			return false
		}
		order, now := fmt.Sprintf("LV-%d", n), time.Now()
		ok := true
		for _, p := range []struct {
			kind string
			body any
		}{
			{"orders", orderBody(order, "paid", now.Add(-time.Hour), now, nil)},
			{"cancellations", requestBody(order, "cr-"+order, "buyer", now)},
		} {
			if code := postWith(s.url, a, p.kind, sec, p.body); code != http.StatusAccepted {
				s.mu.Lock()
				s.bad = append(s.bad, fmt.Sprintf("%s %s %s: %d", a, p.kind, order, code))
				s.mu.Unlock()
				ok = false
				break
			}
		}
		if ok {
			s.mu.Lock()
			s.orders[a] = append(s.orders[a], order)
			s.mu.Unlock()
		}
	}
	return true
}

func (s *sender) refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bad)
}

func (s *sender) accepted(adapter string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.orders[adapter])
}

// The config is rewritten and SIGHUP'd ten times while webhooks keep coming:
// an adapter added, a secret rotated the Standard Webhooks way on two
// adapters (new beside old, reload, move the sender, drop the old, reload),
// windows changed, a token changed, a broken file refused while the old
// config keeps serving, a listen change ignored until restart, an adapter
// removed. No answer is a 5xx (or anything but 202), every accepted order
// is decided and synced, and each change shows within a generous bound of
// its signal.
func TestLiveReload(t *testing.T) {
	rs, p := startRedis(t), newPlatform(t)
	listen := freeAddr(t)
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	cfg := liveConfig{listen: listen, redisURL: rs.URL(), baseURL: p.srv.URL,
		adapters: []liveAdapter{{id: "live-a", secrets: []string{secret}, token: "tok-a1"}}}
	writeAtomically(t, path, cfg.yaml())
	svc := start(t, "serve", path, listen)
	url := svc.url

	snd := &sender{url: url, targets: map[string]string{"live-a": secret}, orders: map[string][]string{}}
	stop := make(chan struct{})
	var sending sync.WaitGroup
	for range 3 { // several at once, so that requests are in flight across each swap
		sending.Go(func() { snd.run(stop, 1500) })
	}
	stopSending := sync.OnceFunc(func() { close(stop); sending.Wait() })
	t.Cleanup(stopSending)

	reloads := func(result string) float64 {
		return opsScrape(t, url+"/metrics")[`cancelsync_config_reloads_total{result="`+result+`"}`]
	}
	// Each change must show within bound of its signal; how long it took
	// is logged (a figure, not an assertion).
	const bound = 10 * time.Second
	var took []string
	reload := func(what string, c liveConfig, result string, visible func() bool) {
		t.Helper()
		writeAtomically(t, path, c.yaml())
		before := reloads(result)
		start := time.Now()
		svc.signal(syscall.SIGHUP)
		if !poll(bound, 10*time.Millisecond, func() bool { return reloads(result) == before+1 && visible() }) {
			t.Fatalf("%s: not visible within %s of SIGHUP", what, bound)
		}
		took = append(took, fmt.Sprintf("%s %s", what, time.Since(start).Round(time.Millisecond)))
		// Traffic flows on the new config before the next change.
		total := func() int { return len(snd.accepted("live-a")) + len(snd.accepted("live-b")) }
		want := total() + 20
		if !poll(bound*3, 10*time.Millisecond, func() bool { return total() >= want }) {
			t.Fatalf("%s: traffic stopped (%d accepted); refused: %v", what, total(), snd.refused())
		}
	}
	probe := func(adapter, sec string) int {
		now := time.Now()
		return postWith(url, adapter, "orders", sec, orderBody("probe-"+newID(), "paid", now.Add(-time.Hour), now, nil))
	}
	// decided posts a fresh order placed an hour ago and its buyer's
	// request to adapter, and waits for the request's state.
	decided := func(adapter, sec string) map[string]any {
		t.Helper()
		order, now := "dec-"+newID(), time.Now()
		if c := postWith(url, adapter, "orders", sec, orderBody(order, "paid", now.Add(-time.Hour), now, nil)); c != http.StatusAccepted {
			t.Fatalf("%s order: %d", adapter, c)
		}
		if c := postWith(url, adapter, "cancellations", sec, requestBody(order, "cr-"+order, "buyer", now)); c != http.StatusAccepted {
			t.Fatalf("%s request: %d", adapter, c)
		}
		return svc.waitFor(t, adapter, order, "a decision", func(v map[string]any) bool {
			return field(v, "sync", "state") == "synced"
		})
	}

	// Let some traffic flow on the first config.
	if !poll(bound, 10*time.Millisecond, func() bool { return len(snd.accepted("live-a")) >= 5 }) {
		t.Fatalf("no traffic: %v", snd.refused())
	}
	if c := probe("live-b", secret); c != http.StatusNotFound {
		t.Fatalf("live-b before it is configured: %d", c)
	}

	// 1. An adapter is added: it answers at once, and the sender uses it.
	cfg.adapters = append(cfg.adapters, liveAdapter{id: "live-b", secrets: []string{secret}, token: "tok-b1"})
	reload("1 add live-b", cfg, "ok", func() bool { return probe("live-b", secret) == http.StatusAccepted })
	snd.set("live-b", secret)

	// 2, 3. live-a rotates: the new secret beside the old, the sender moves,
	// the old one goes.
	cfg.adapters[0].secrets = []string{secret, secretB}
	reload("2 live-a new secret beside the old", cfg, "ok", func() bool { return probe("live-a", secretB) == http.StatusAccepted })
	if c := probe("live-a", secret); c != http.StatusAccepted {
		t.Fatalf("the old secret during rotation: %d", c)
	}
	snd.set("live-a", secretB)
	cfg.adapters[0].secrets = []string{secretB}
	reload("3 live-a old secret dropped", cfg, "ok", func() bool { return probe("live-a", secret) == http.StatusUnauthorized })

	// 4. live-a's cancel window shrinks below the orders' age: a request
	// made after the reload is denied window_expired.
	cfg.adapters[0].window = "30m"
	reload("4 live-a window 30m", cfg, "ok", func() bool { return true })
	if v := decided("live-a", secretB); field(v, "cancellation", "state") != "denied" || field(v, "cancellation", "denial_reason") != "window_expired" {
		t.Fatalf("after the window change: %v", v["cancellation"])
	}

	// 5. A broken file is refused whole; the running config keeps serving.
	broken := cfg
	broken.broken = true
	broken.adapters = append(slices.Clone(cfg.adapters), liveAdapter{id: "live-c", secrets: []string{secret}, token: "tok-c"})
	reload("5 broken file refused", broken, "rejected", func() bool {
		return strings.Contains(svc.out.String(), `"key":"adapters[3].secrets[0]"`)
	})
	if c := probe("live-c", secret); c != http.StatusNotFound {
		t.Fatalf("an adapter of the refused file answers: %d", c)
	}
	if c := probe("live-a", secretB); c != http.StatusAccepted {
		t.Fatalf("live-a after the refused reload: %d", c)
	}

	// 6, 7. live-b rotates too.
	cfg.adapters[1].secrets = []string{secret, secretB}
	reload("6 live-b new secret beside the old", cfg, "ok", func() bool { return probe("live-b", secretB) == http.StatusAccepted })
	snd.set("live-b", secretB)
	cfg.adapters[1].secrets = []string{secretB}
	reload("7 live-b old secret dropped", cfg, "ok", func() bool { return probe("live-b", secret) == http.StatusUnauthorized })

	// 8. The window widens again: the next request is cancelled.
	cfg.adapters[0].window = "3h"
	reload("8 live-a window 3h", cfg, "ok", func() bool { return true })
	if v := decided("live-a", secretB); field(v, "cancellation", "state") != "cancelled" {
		t.Fatalf("after widening the window: %v", v["cancellation"])
	}

	// 9. live-a's API token changes (the next push carries it); listen
	// changes too, which needs a restart: the process stays where it is.
	cfg.adapters[0].token = "tok-a2"
	moved := cfg
	moved.listen = freeAddr(t)
	reload("9 live-a token, listen ignored", moved, "ok", func() bool {
		return strings.Contains(svc.out.String(), `"key":"listen"`)
	})
	v := decided("live-a", secretB)
	if order, _ := field(v, "order_id").(string); lastAuth(p, order) != "Bearer tok-a2" {
		t.Fatalf("push after the token change carried %q", lastAuth(p, order))
	}

	// 10. live-b is removed once the sender stopped using it and its
	// orders are settled: it answers 404 from then on.
	snd.set("live-b", "")
	waitSettled(t, svc, p, "live-b", snd.accepted("live-b"))
	cfg.adapters = cfg.adapters[:1]
	reload("10 remove live-b", cfg, "ok", func() bool { return probe("live-b", secretB) == http.StatusNotFound })

	stopSending()
	if bad := snd.refused(); len(bad) > 0 {
		t.Fatalf("%d answers other than 202, first: %v", len(bad), bad[:min(len(bad), 5)])
	}
	a := snd.accepted("live-a")
	waitSettled(t, svc, p, "live-a", a)
	if r := reloads("ok"); r != 9 {
		t.Fatalf("%v reloads ok, want 9", r)
	}
	if r := reloads("rejected"); r != 1 {
		t.Fatalf("%v reloads rejected, want 1", r)
	}
	assertNoSecrets(t, svc.out.String(), strings.TrimPrefix(secretB, "whsec_"), "tok-a2", "tok-b1")
	t.Logf("orders accepted: live-a %d, live-b %d; change visible after SIGHUP: %s",
		len(a), len(snd.accepted("live-b")), strings.Join(took, "; "))
	svc.stopClean(t)
}

// waitSettled waits until every order is decided and synced, and the
// platform received a push for each.
func waitSettled(t *testing.T, svc *service, p *platform, adapter string, orders []string) {
	t.Helper()
	for _, o := range orders {
		svc.waitFor(t, adapter, o, "decided and synced", func(v map[string]any) bool {
			st := field(v, "cancellation", "state")
			return (st == "cancelled" || st == "denied") && field(v, "sync", "state") == "synced"
		})
	}
	pushed := map[string]bool{}
	for _, pu := range p.received() {
		pushed[pu.OrderID] = true
	}
	for _, o := range orders {
		if !pushed[o] {
			t.Fatalf("%s/%s synced but the platform has no push", adapter, o)
		}
	}
}

// lastAuth is the Authorization of the platform's last PUT for order.
func lastAuth(p *platform, order string) string {
	auth := ""
	for _, pu := range p.received() {
		if pu.OrderID == order {
			auth = pu.Auth
		}
	}
	return auth
}

// api and worker reload on SIGHUP too: an adapter added to the file and
// signalled to both is served by the api and its orders decided and synced
// by the worker.
func TestLiveReloadAPIAndWorker(t *testing.T) {
	rs, p := startRedis(t), newPlatform(t)
	listen := freeAddr(t)
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	cfg := liveConfig{listen: listen, redisURL: rs.URL(), baseURL: p.srv.URL,
		adapters: []liveAdapter{{id: "live-a", secrets: []string{secret}, token: "tok-a"}}}
	writeAtomically(t, path, cfg.yaml())
	api := start(t, "api", path, listen)
	worker := start(t, "worker", path, listen)
	// SIGHUP is caught from the start of a service; before that it would
	// end the process, so wait for the worker's first line.
	if !poll(20*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(worker.out.String(), `"msg":"cancelsync starting"`)
	}) {
		t.Fatal("worker did not start")
	}

	cfg.adapters = append(cfg.adapters, liveAdapter{id: "live-n", secrets: []string{secretB}, token: "tok-n"})
	writeAtomically(t, path, cfg.yaml())
	worker.signal(syscall.SIGHUP)
	api.signal(syscall.SIGHUP)
	if !poll(10*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(worker.out.String(), `"msg":"config reloaded"`) &&
			strings.Contains(api.out.String(), `"msg":"config reloaded"`)
	}) {
		t.Fatal("api and worker did not both reload")
	}
	now := time.Now()
	for _, ev := range []struct {
		kind string
		body any
	}{
		{"orders", orderBody("N-1", "paid", now.Add(-time.Hour), now, nil)},
		{"cancellations", requestBody("N-1", "cr-N-1", "buyer", now)},
	} {
		if c := postWith(api.url, "live-n", ev.kind, secretB, ev.body); c != http.StatusAccepted {
			t.Fatalf("api, added adapter, %s: %d", ev.kind, c)
		}
	}
	api.waitFor(t, "live-n", "N-1", "cancelled and synced by the worker", stateIs("cancelled", "synced"))
	if got := lastAuth(p, "N-1"); got != "Bearer tok-n" {
		t.Fatalf("worker pushed with %q", got)
	}
	api.stopClean(t)
	worker.stopClean(t)
}
