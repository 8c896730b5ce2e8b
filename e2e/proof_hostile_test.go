package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

// proofHostileBodies are correctly signed bodies a careful user expects to
// be refused with 400 naming the field (beyond docs/API.md §3's table, which
// TestIngestAnswersEveryRowOfTheContract covers).
func proofHostileBodies() []struct {
	name, kind string
	body       []byte
	field      string // "-": any field
} {
	order := func(dataMembers string) []byte {
		return []byte(`{"type":"order.created","data":{` + dataMembers + `}}`)
	}
	const members = `"status":"paid","placed_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T10:05:00Z","buyer_id":"b-17","seller_id":"s-4","total":{"amount":"42.50","currency":"USD"},"items":[{"sku":"JKT-M","quantity":1,"price":"42.50"}]`
	valid := `"order_id":"PM-1",` + members
	request := func(dataMembers string) []byte {
		return []byte(`{"type":"cancellation.requested","data":{"order_id":"PM-1","initiator":"buyer","reason":"other",` + dataMembers + `}}`)
	}
	const rq = `"request_id":"cr-1","occurred_at":"2026-11-20T11:00:00Z"`
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	return []struct {
		name, kind string
		body       []byte
		field      string
	}{
		// Deeply nested JSON: past encoding/json's depth limit of 10,000.
		{"nested arrays as data", "orders", []byte(`{"type":"order.created","data":` + deep("[", "]", 400_000) + `}`), "-"},
		{"nested objects in an unknown member", "orders", order(valid + `,"x":` + strings.Repeat(`{"x":`, 50_000) + "1" + strings.Repeat("}", 50_000)), "-"},
		{"nested arrays as order_id", "orders", order(`"order_id":` + deep("[", "]", 20_000) + "," + members), "-"},
		// Huge strings, inside max_body_bytes.
		{"900 KB order_id", "orders", order(`"order_id":"` + strings.Repeat("A", 900_000) + `",` + members), "data.order_id"},
		{"900 KB comments", "cancellations", request(rq + `,"comments":"` + strings.Repeat("é", 450_000) + `"`), "data.comments"},
		{"1001-character comments", "cancellations", request(rq + `,"comments":"` + strings.Repeat("x", 1001) + `"`), "data.comments"},
		{"150,000 escaped NULs", "cancellations", request(rq + `,"comments":"` + strings.Repeat(`\u0000`, 150_000) + `"`), "data.comments"},
		{"huge amount", "orders", []byte(strings.Replace(string(order(valid)), `"42.50"`, `"`+strings.Repeat("9", 500_000)+`"`, 1)), "data.total.amount"},
		// Invalid UTF-8 anywhere, including where it is never looked at.
		{"invalid UTF-8 in order_id", "orders", order(`"order_id":"PM-` + "\xff\xfe" + `",` + members), "body"},
		{"overlong encoding", "cancellations", request(rq + `,"comments":"` + "\xc0\xaf" + `"`), "body"},
		{"UTF-8 encoded surrogate", "cancellations", request(rq + `,"comments":"` + "\xed\xa0\x80" + `"`), "body"},
		{"invalid UTF-8 in an unknown member", "orders", order(valid + `,"note":"` + "\x80" + `"`), "body"},
		// Duplicate names: the body would read two ways.
		{"order_id twice", "orders", order(valid + `,"order_id":"PM-2"`), "data.order_id"},
		{"type twice", "cancellations", []byte(`{"type":"cancellation.requested","type":"cancellation.withdrawn","data":{"order_id":"PM-1",` + rq + `}}`), "type"},
		{"name twice in other case", "cancellations", request(rq + `,"REQUEST_ID":"cr-2"`), "data.REQUEST_ID"},
		{"amount twice", "orders", []byte(strings.Replace(string(order(valid)), `"amount":"42.50"`, `"amount":"42.50","amount":"0.01"`, 1)), "data.total.amount"},
		// Numbers (and other kinds) where strings belong, and the reverse.
		{"numeric order_id", "orders", order(`"order_id":10023,` + members), "data.order_id"},
		{"numeric amount", "orders", []byte(strings.Replace(string(order(valid)), `"amount":"42.50"`, `"amount":42.5`, 1)), "data.total.amount"},
		{"numeric item price", "orders", []byte(strings.Replace(string(order(valid)), `"price":"42.50"`, `"price":42.5`, 1)), "data.items[0].price"},
		{"numeric type", "orders", []byte(`{"type":1,"data":{` + valid + `}}`), "type"},
		{"numeric request_id", "cancellations", request(`"request_id":881,"occurred_at":"2026-11-20T11:00:00Z"`), "data.request_id"},
		{"numeric occurred_at", "cancellations", request(`"request_id":"cr-1","occurred_at":1763636400`), "data.occurred_at"},
		{"string quantity", "orders", []byte(strings.Replace(string(order(valid)), `"quantity":1`, `"quantity":"1"`, 1)), "data.items[0].quantity"},
		{"quantity 1e400", "orders", []byte(strings.Replace(string(order(valid)), `"quantity":1`, `"quantity":1e400`, 1)), "data.items[0].quantity"},
		{"quantity past int64", "orders", []byte(strings.Replace(string(order(valid)), `"quantity":1`, `"quantity":99999999999999999999`, 1)), "data.items[0].quantity"},
		{"boolean as string", "orders", order(valid + `,"work_delivered":"yes"`), "data.work_delivered"},
		{"object as order_id", "orders", order(`"order_id":{"id":"PM-1"},` + members), "data.order_id"},
		// Not one JSON object.
		{"empty body", "orders", []byte{}, "body"},
		{"null", "orders", []byte(`null`), "-"},
		{"array", "cancellations", []byte(`[` + string(request(rq)) + `]`), "body"},
		{"byte order mark", "orders", append([]byte("\xef\xbb\xbf"), order(valid)...), "body"},
		{"two objects", "orders", append(order(valid), order(valid)...), "body"},
		{"NaN", "orders", []byte(strings.Replace(string(order(valid)), `"quantity":1`, `"quantity":NaN`, 1)), "body"},
	}
}

// TestProofHostileInput: every body of proofHostileBodies, correctly signed,
// is refused with a 400 problem naming the field; then 10,000 requests with
// bad signatures, some with large bodies or huge signature headers, get 401
// and never a 5xx, with the process's resident memory growing by less than
// 64 MiB; nothing of it reaches the queue; and no configured secret or token
// appears in anything the process printed, in the dead letter or on the
// read API, even when the platform echoes the Authorization header back in
// its error answers.
func TestProofHostileInput(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	// A hostile platform: echoes the request's Authorization header in its
	// error answers, 500 (retried) for the first PUTs of every order and
	// 401 (permanent: dead letter) for orders named HOST-DLQ*.
	var mu sync.Mutex
	tries := map[string]int{}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		tries[r.URL.Path]++
		n := tries[r.URL.Path]
		mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "HOST-DLQ"):
			w.WriteHeader(http.StatusUnauthorized)
		case n <= 2:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			return
		}
		fmt.Fprintf(w, "rejected %s with %s (Idempotency-Key %s)", r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"))
	}))
	t.Cleanup(echo.Close)
	retry := "    retry: {max_attempts: 5, base_delay: 100ms, max_delay: 200ms}\n"
	cfg, listen := writeConfig(t, rs.URL(), []adapterConf{
		{id: "shop-self", platform: "selfservice", baseURL: echo.URL, extra: retry},
		{id: "acme-posh", platform: "poshmark", baseURL: echo.URL, extra: retry},
	}, "")
	s := start(t, "serve", cfg, listen)

	t.Run("bodies", func(t *testing.T) {
		for _, c := range proofHostileBodies() {
			status, hdr, out, err := proofSend(s.url, proofEvent{"shop-self", c.kind, newID(), c.body})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			errs := fmt.Sprint(out["errors"])
			if status != http.StatusBadRequest || hdr.Get("Content-Type") != "application/problem+json" || out["errors"] == nil {
				t.Errorf("%s (%d bytes): %d %s %v, want a 400 problem", c.name, len(c.body), status, hdr.Get("Content-Type"), out)
			} else if c.field != "-" && !strings.Contains(errs, "field:"+c.field+" ") {
				t.Errorf("%s: errors %s do not name %s", c.name, errs, c.field)
			}
			if len(errs) > 2000 {
				t.Errorf("%s: a %d-byte error answer", c.name, len(errs))
			}
		}
		// Unknown members are ignored, however deep (within the limit) or
		// long.
		for name, extra := range map[string]string{
			"nested 5,000 deep": strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
			"900 KB string":     `"` + strings.Repeat("z", 900_000) + `"`,
		} {
			body := []byte(`{"type":"order.created","extra":` + extra + `,"data":{"order_id":"HOST-OK","status":"paid","placed_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T10:05:00Z","buyer_id":"b-17","seller_id":"s-4","total":{"amount":"42.50","currency":"USD"},"items":[]}}`)
			if status, _, out, err := proofSend(s.url, proofEvent{"shop-self", "orders", newID(), body}); err != nil || status != http.StatusAccepted {
				t.Errorf("%s: %d %v %v", name, status, out, err)
			}
		}
	})

	t.Run("10,000 bad signatures", func(t *testing.T) {
		pid := s.cmd.Process.Pid
		big := bytes.Repeat([]byte(`{"type":"order.created","data":{"pad":"`+strings.Repeat("x", 1000)+`"}}`), 128)
		small := []byte(`{"type":"order.created","data":{"order_id":"HOST-1"}}`)
		manySigs := strings.TrimSpace(strings.Repeat("v1,"+strings.Repeat("A", 43)+"= ", 1500)) // ~72 KB header
		otherSecret := "whsec_" + "c2VjcmV0LW9mLWFub3RoZXItcGxhdGZvcm0tMTIzNA=="
		variant := func(i int) (body []byte, h http.Header) {
			body = small
			if i%10 == 0 {
				body = big
			}
			id := "msg_hostile_" + strconv.Itoa(i)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			good, _ := standardwebhooks.Sign(secret, id, time.Now(), body)
			forged, _ := standardwebhooks.Sign(otherSecret, id, time.Now(), body)
			h = http.Header{"Content-Type": {"application/json"}, "Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {forged}}
			switch i % 8 {
			case 1: // right signature of another body
				h.Set("Webhook-Signature", good)
				body = append(append([]byte(nil), body...), ' ')
			case 2:
				h.Set("Webhook-Signature", manySigs)
			case 3:
				h.Del("Webhook-Signature")
			case 4: // stale
				old := time.Now().Add(-10 * time.Minute)
				h.Set("Webhook-Timestamp", strconv.FormatInt(old.Unix(), 10))
				sig, _ := standardwebhooks.Sign(secret, id, old, body)
				h.Set("Webhook-Signature", sig)
			case 5:
				h.Set("Webhook-Id", strings.Repeat("i", 10_000))
			case 6:
				h.Set("Webhook-Timestamp", "1e9999")
			case 7:
				h.Set("Webhook-Signature", "v1,"+strings.Repeat("!", 1000))
			}
			return body, h
		}
		send := func(i int) (int, error) {
			body, h := variant(i)
			req, _ := http.NewRequest(http.MethodPost, s.url+"/webhooks/shop-self/orders", bytes.NewReader(body))
			req.Header = h
			resp, err := httpClient.Do(req)
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
		// Warm up (connection pools, buffers, the GC's first cycles).
		for i := range 400 {
			if _, err := send(i); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(500 * time.Millisecond)
		before := proofRSS(t, pid)
		queuedBefore, storedBefore := proofEverQueued(t, rs.Addr), proofRemembered(t, rs.Addr, "shop-self")
		n := make([]int, 10_000)
		for i := range n {
			n[i] = i
		}
		var statuses [600]atomic.Int64
		var failed atomic.Int64
		start := time.Now()
		proofRun(16, n, func(i int) {
			status, err := send(i)
			if err != nil {
				failed.Add(1)
				return
			}
			statuses[status].Add(1)
		})
		took := time.Since(start)
		after := proofRSS(t, pid)
		const bound = 64 << 20
		t.Logf("10,000 bad signatures in %v (%.0f/s): 401 × %d; VmRSS %d MiB → %d MiB (growth %+d KiB, bound %d MiB)",
			took.Round(time.Millisecond), 10_000/took.Seconds(), statuses[401].Load(), before>>20, after>>20, (after-before)>>10, bound>>20)
		if failed.Load() > 0 {
			t.Errorf("%d requests failed in transport", failed.Load())
		}
		if got := statuses[401].Load(); got != 10_000 {
			for code := range statuses {
				if c := statuses[code].Load(); c > 0 && code != 401 {
					t.Errorf("%d answers %d", c, code)
				}
			}
		}
		if after-before > bound {
			t.Errorf("VmRSS grew by %d MiB, bound %d MiB", (after-before)>>20, bound>>20)
		}
		if q := proofEverQueued(t, rs.Addr); q != queuedBefore {
			t.Errorf("%d tasks queued by forged requests", q-queuedBefore)
		}
		if n := proofRemembered(t, rs.Addr, "shop-self"); n != storedBefore {
			t.Errorf("%d deliveries accepted from forged requests", n-storedBefore)
		}
		proofAlive(t, s)
	})

	t.Run("secrets never printed", func(t *testing.T) {
		now := time.Now()
		orders := []string{"HOST-A", "HOST-B", "HOST-DLQ1"}
		for _, id := range orders {
			snap, req := proofOrderEvents("shop-self", id, now)
			for _, ev := range []proofEvent{snap, req} {
				if _, err := proofDeliver(s.url, ev, time.Now().Add(10*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
		}
		proofWaitAll(t, s.url, "shop-self", orders[:2], 30*time.Second, proofSettled("cancelled", 1))
		proofWaitAll(t, s.url, "shop-self", orders[2:], 30*time.Second, func(v map[string]any) bool { return field(v, "sync", "state") == "failed" })
		var printed strings.Builder
		for _, id := range orders {
			v, _ := proofView(s.url, "shop-self", id)
			fmt.Fprintln(&printed, v)
		}
		// Wrong admin tokens, and the token in places it does not belong.
		for _, auth := range []string{"Bearer wrong", "Bearer " + adminToken + "x", "Basic " + adminToken, adminToken} {
			req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/adapters/shop-self/orders/HOST-A", nil)
			req.Header.Set("Authorization", auth)
			if resp, err := httpClient.Do(req); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				printed.Write(body)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("Authorization %.12q…: %d", auth, resp.StatusCode)
				}
			}
		}
		if resp, err := httpClient.Get(s.url + "/metrics"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			printed.Write(body)
		}
		_, dlq := runCLI(t, "dlq", "list", "--config", s.config)
		printed.WriteString(dlq)
		if !strings.Contains(dlq, "HOST-DLQ1") || !strings.Contains(dlq, "[redacted]") {
			t.Errorf("dlq list does not show the echoed, redacted error:\n%s", dlq)
		}
		if code := s.stop(); code != 0 {
			t.Errorf("exit code %d after SIGTERM", code)
		}
		printed.WriteString(s.out.String())
		if !strings.Contains(printed.String(), "[redacted]") {
			t.Error("the echoed tokens never reached the output: the test proves nothing")
		}
		assertNoSecrets(t, printed.String(), "tok-shop-self-secret", "tok-acme-posh-secret", adminToken)
		t.Logf("%d bytes of process output, views, metrics and dead letter checked", printed.Len())
	})
}
