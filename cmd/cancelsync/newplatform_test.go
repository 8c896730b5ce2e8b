package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/config"
	"github.com/cancelsync/cancelsync/platform/examplemarket"
	"github.com/cancelsync/cancelsync/platform/registry"
)

// marketSync is one sync call Example Market received.
type marketSync struct {
	path, market, auth string
	body               examplemarket.StateBody
}

// TestANewPlatformIsOneFolderAndOneLine serves a platform no build
// registers (platform/examplemarket, added with registry.With as a real one
// is with a line in registry.Default) through the whole service: its own
// config key parsed and checked by it, its signed webhooks taken by ingest,
// its rule deciding, and its own sync call made to a real HTTP server.
func TestANewPlatformIsOneFolderAndOneLine(t *testing.T) {
	var mu sync.Mutex
	var syncs []marketSync
	market := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s marketSync
		s.path, s.market, s.auth = r.Method+" "+r.URL.Path, r.Header.Get(examplemarket.HeaderMarket), r.Header.Get("Authorization")
		if err := json.NewDecoder(r.Body).Decode(&s.body); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		mu.Lock()
		syncs = append(syncs, s)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(market.Close)

	const secret = "market-secret-0123456789"
	platforms := registry.With(examplemarket.Platform)
	conf := func(own string) []byte {
		return fmt.Appendf(nil, `
listen: "127.0.0.1:0"
admin_token: "admin-token-0123456789"
adapters:
  - id: market-eu
    platform: examplemarket
    secrets: [%q]
%s
    api: {base_url: %q, token: market-token, timeout: 2s}
    retry: {max_attempts: 3, base_delay: 50ms, max_delay: 1s}
`, secret, own, market.URL)
	}

	// The platform's own key reaches it, and it owns the refusals.
	_, err := config.Parse(conf("    market: mars\n    shop: acme.myshopify.com\n    colour: blue"), platforms, nil)
	for _, want := range []string{`adapters[0].market: "mars" must be eu or us`, "adapters[0].shop: is not used by this platform", "adapters[0].colour: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config error %v lacks %q", err, want)
		}
	}
	good := conf("    market: eu")
	cfg, err := config.Parse(good, platforms, nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan error, 1)
	load := func() (*config.Config, error) { return config.Parse(good, platforms, nil) }
	go func() { done <- runService(ctx, "serve", cfg, load, platforms, slog.New(slog.DiscardHandler), out) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runService: %v", err)
		}
	})
	base := waitFor(t, func() (string, bool) {
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			return "", false
		}
		return m[1], true
	})

	post := func(kind, id string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/market-eu/"+kind, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(examplemarket.HeaderDelivery, id)
		req.Header.Set(examplemarket.HeaderSignature, examplemarket.Sign(secret, b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s %s: %d %s", kind, id, resp.StatusCode, msg)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	// EX-1 is asked for within the market's hour; EX-2 three hours late.
	for i, placed := range []time.Time{now.Add(-10 * time.Minute), now.Add(-3 * time.Hour)} {
		id := fmt.Sprintf("EX-%d", i+1)
		post("orders", "d-o-"+id, examplemarket.OrderBody{ID: id, Status: "paid", PlacedAt: placed, UpdatedAt: placed,
			Buyer: "b-1", Total: "12.50", Currency: "EUR"})
		post("cancellations", "d-c-"+id, examplemarket.CancelBody{OrderID: id, RequestID: "cr-" + id, By: "buyer",
			Reason: "changed_mind", At: now})
	}
	// A forged delivery is refused by the platform's own verifier.
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/market-eu/orders", strings.NewReader(`{"id":"EX-9"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(examplemarket.HeaderDelivery, "d-forged")
	req.Header.Set(examplemarket.HeaderSignature, "sha256=00")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged delivery: %v %v, want 401", resp, err)
	}

	got := waitFor(t, func() (map[string]marketSync, bool) {
		mu.Lock()
		defer mu.Unlock()
		by := map[string]marketSync{}
		for _, s := range syncs {
			by[s.path] = s
		}
		return by, len(by) == 2
	})
	want := map[string]string{
		"POST /orders/EX-1/cancellation-state": "cancelled",
		"POST /orders/EX-2/cancellation-state": "denied",
	}
	for path, state := range want {
		s, ok := got[path]
		if !ok || string(s.body.State) != state || s.market != "eu" || s.auth != "Bearer market-token" || s.body.Version != 1 {
			t.Errorf("%s: %+v (ok %v), want state %s, market eu, the api token, version 1", path, s, ok, state)
		}
	}

	// The read API tells the same story.
	for id, state := range map[string]string{"EX-1": "cancelled", "EX-2": "denied"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/adapters/market-eu/orders/"+id, nil)
		req.Header.Set("Authorization", "Bearer admin-token-0123456789")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Cancellation struct {
				State        string `json:"state"`
				DenialReason string `json:"denial_reason"`
			} `json:"cancellation"`
		}
		err = json.NewDecoder(resp.Body).Decode(&v)
		_ = resp.Body.Close()
		if err != nil || v.Cancellation.State != state || state == "denied" && v.Cancellation.DenialReason != "window_expired" {
			t.Errorf("GET %s: %+v %v, want %s", id, v, err, state)
		}
	}
}

// waitFor polls f until it reports true, failing the test after a generous
// deadline (a bound on a hang, not a timing assertion).
func waitFor[T any](t *testing.T, f func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, ok := f()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is stdout for a service running in another goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
