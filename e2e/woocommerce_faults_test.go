package e2e

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

// wooPatientRig is a running cancelsync with one WooCommerce adapter, "woo",
// on a fake store with REST keys key and secret. Its syncs retry for long
// (every 100–300 ms, 100 attempts) so that a store can be down for a
// while without a version reaching the dead letter.
func wooPatientRig(t *testing.T, key, consumerSecret string) (*service, *wootest.Server) {
	t.Helper()
	rs := startRedis(t)
	store := wootest.NewServer(key, consumerSecret)
	t.Cleanup(store.Close)
	listen := freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nredis_url: %q\nadmin_token: %q\nshutdown_timeout: 10s\nworker_concurrency: 8\ntimer_resolution: 100ms\nlog_level: debug\norder_wait: 5s\nadapters:\n",
		listen, rs.URL(), adminToken)
	fmt.Fprintf(&b, "  - id: woo\n    platform: woocommerce\n    secrets: [%q]\n    relay_secrets: [%q]\n", wooSecret, secret)
	fmt.Fprintf(&b, "    api: {base_url: %q, consumer_key: %q, consumer_secret: %q, timeout: 2s}\n", store.URL, key, consumerSecret)
	b.WriteString("    retry: {max_attempts: 100, base_delay: 100ms, max_delay: 300ms}\n")
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "serve", path, listen), store
}

// TestWooCommercePaidAfterCancel: a buyer cancels a pending (unpaid) order
// while the store answers 503; the order then turns out paid (a processing
// snapshot); when the store is back it gets the status change and exactly
// one refund of the total, even though the first refund's answer is lost
// (docs/GUARANTEES.md: a buyer is never charged for a cancelled order).
func TestWooCommercePaidAfterCancel(t *testing.T) {
	t.Parallel()
	s, store := wooPatientRig(t, wooKey, wooCS)
	now := time.Now().UTC().Truncate(time.Second)

	s.acceptWoo(t, "woo", wooOrder(t, 1100, "pending", now))
	s.waitFor(t, "woo", "1100", "order stored", func(v map[string]any) bool { return v["order"] != nil })

	store.Outage(&wootest.Answer{Status: http.StatusServiceUnavailable})
	s.accept(t, "woo", "cancellations", requestBody("1100", "cr-w100", "buyer", now))
	v := s.waitFor(t, "woo", "1100", "v1 cancelled, its sync refused", func(v map[string]any) bool {
		return stateIs("cancelled", "pending")(v) && field(v, "sync", "attempts") != 0.0 && field(v, "sync", "attempts") != nil
	})
	if field(v, "cancellation", "version") != 1.0 || field(v, "cancellation", "refund") != nil {
		t.Fatalf("v1 of an unpaid order: %v", v)
	}
	if e, _ := field(v, "sync", "last_error").(string); !strings.Contains(e, "503") {
		t.Fatalf("last_error %q, want the store's 503", e)
	}

	// Paid at the gateway while the cancellation was on its way.
	s.acceptWoo(t, "woo", wooOrder(t, 1100, "processing", now.Add(time.Minute)))
	v = s.waitFor(t, "woo", "1100", "v2 with the refund", func(v map[string]any) bool { return field(v, "cancellation", "version") == 2.0 })
	if field(v, "cancellation", "state") != "cancelled" || field(v, "cancellation", "refund", "method") != "original_payment" ||
		field(v, "cancellation", "refund", "amount") != "29.35" || field(v, "cancellation", "refund", "currency") != "USD" {
		t.Fatalf("v2: %v", v)
	}
	if !strings.Contains(fmt.Sprint(v["history"]), "order paid after its cancellation: refund added") {
		t.Fatalf("no history note: %v", v["history"])
	}
	if n := count(store.CallsFor("1100"), wootest.CreateRefund); n != 0 {
		t.Fatalf("%d refund POSTs while the store is down", n)
	}

	// The store comes back, and the answer to the refund is lost once.
	store.Fail(wootest.CreateRefund, wootest.Answer{Status: http.StatusServiceUnavailable, Apply: true})
	store.Outage(nil)
	v = s.waitFor(t, "woo", "1100", "v2 synced", func(v map[string]any) bool {
		return stateIs("cancelled", "synced")(v) && field(v, "sync", "version") == 2.0
	})
	calls := store.CallsFor("1100")
	if n := count(calls, wootest.CreateRefund); n != 1 {
		t.Fatalf("%d refund POSTs, want 1: %v", n, routesOf(calls))
	}
	refunds := store.Refunds("1100")
	if len(refunds) != 1 || refunds[0].Amount != "29.35" || refunds[0].Reason != "cancelsync cr-w100" || !refunds[0].APIRefund {
		t.Fatalf("refunds %+v", refunds)
	}
	if store.Status("1100") != "cancelled" {
		t.Fatalf("status %s", store.Status("1100"))
	}
	// The last PUT comes before the refund POST.
	lastPut, post := -1, -1
	for i, c := range calls {
		switch {
		case c.Route == wootest.UpdateOrder && c.Status < 300:
			lastPut = i
		case c.Route == wootest.CreateRefund:
			post = i
		}
	}
	if lastPut < 0 || post < lastPut {
		t.Fatalf("status PUT then refund POST: %v", routesOf(calls))
	}
	if v["conflict"] != nil {
		t.Fatalf("conflict %v", v["conflict"])
	}
	s.stopClean(t)
}

// TestWooCommerceEchoedCredentialsRedacted: a store that echoes what it was
// sent (the Authorization header, the keys in a query string, raw, in
// base64, hex or URL escaping) in its error bodies never gets a credential
// into last_error, the dead letter (dlq list, the console's twin) or the
// log: each is "[redacted]" (docs/GUARANTEES.md).
func TestWooCommerceEchoedCredentialsRedacted(t *testing.T) {
	t.Parallel()
	const key, consumerSecret = "ck_echo0123456789abcdef0123456789abcdef01", "cs_ec/ho+se?cr&et=9%ab~cd0123456789abcdef"
	s, store := wooPatientRig(t, key, consumerSecret)
	now := time.Now().UTC().Truncate(time.Second)

	pair := key + ":" + consumerSecret
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	hexOf := func(s string) string { return hex.EncodeToString([]byte(s)) }
	// Every form the test looks for afterwards, and the echoes that carry
	// them: one per failed PUT, so that none is cut off by the 200-byte
	// limit on last_error.
	forms := []string{key, consumerSecret, pair, b64(base64.StdEncoding, pair), b64(base64.URLEncoding, pair),
		b64(base64.RawStdEncoding, pair), b64(base64.RawURLEncoding, pair), b64(base64.StdEncoding, key),
		b64(base64.StdEncoding, consumerSecret), b64(base64.RawURLEncoding, consumerSecret), hexOf(pair), hexOf(consumerSecret),
		strings.ToUpper(hexOf(consumerSecret)), url.QueryEscape(consumerSecret), url.PathEscape(consumerSecret), url.QueryEscape(key)}
	echoes := []func(r *http.Request) string{
		func(r *http.Request) string {
			return "Sorry, you cannot do that. Authorization: " + r.Header.Get("Authorization")
		},
		func(r *http.Request) string {
			return "Keys expected in the query: " + r.URL.Path + "?consumer_key=" + url.QueryEscape(key) + "&consumer_secret=" + url.QueryEscape(consumerSecret)
		},
		func(r *http.Request) string {
			k, sec, _ := r.BasicAuth()
			return "Invalid key " + k + " with secret " + sec
		},
		func(*http.Request) string {
			return "b64url " + b64(base64.URLEncoding, pair) + " raw " + b64(base64.RawStdEncoding, pair)
		},
		func(*http.Request) string {
			return "alone " + b64(base64.StdEncoding, key) + " " + b64(base64.StdEncoding, consumerSecret) + " " + b64(base64.RawURLEncoding, consumerSecret)
		},
		func(*http.Request) string { return "hex " + hexOf(pair) },
		func(*http.Request) string {
			return "hex " + hexOf(consumerSecret) + " " + strings.ToUpper(hexOf(consumerSecret))
		},
		func(*http.Request) string {
			return "path /" + url.PathEscape(consumerSecret) + "/ raw " + b64(base64.RawURLEncoding, pair)
		},
	}
	// The first order's PUT is refused 500 (retried: a "sync failed" log
	// line and last_error), then 400 (dead letter); every other one 400.
	answers := []wootest.Answer{{Status: http.StatusInternalServerError, Message: echoes[0]}}
	for _, e := range echoes {
		answers = append(answers, wootest.Answer{Status: http.StatusBadRequest, Message: e})
	}
	store.Fail(wootest.UpdateOrder, answers...)

	var printed strings.Builder
	for i := range echoes {
		id := 1200 + i
		order := strconv.Itoa(id)
		s.acceptWoo(t, "woo", wooOrder(t, id, "pending", now))
		s.waitFor(t, "woo", order, "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "woo", "cancellations", requestBody(order, "cr-e"+order, "buyer", now))
		v := s.waitFor(t, "woo", order, "dead letter", stateIs("cancelled", "failed"))
		e, _ := field(v, "sync", "last_error").(string)
		if !strings.Contains(e, "[redacted]") {
			t.Errorf("order %s: last_error %q: the echo never reached it, the test proves nothing", order, e)
		}
		fmt.Fprintln(&printed, v)
	}
	if n := count(store.CallsFor("1200"), wootest.UpdateOrder); n != 2 {
		t.Errorf("order 1200: %d PUTs, want the 500 and the 400", n)
	}

	code, dlq := runCLI(t, "dlq", "list", "--config", s.config)
	if code != 0 || strings.Count(dlq, "[redacted]") < len(echoes) {
		t.Errorf("dlq list: exit %d, want every echo redacted:\n%s", code, dlq)
	}
	printed.WriteString(dlq)
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v1/adapters/woo/dead-letters", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	code, twin := do(t, req)
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(twin), "[redacted]") {
		t.Errorf("dead letters: %d %v", code, twin)
	}
	fmt.Fprintln(&printed, twin)
	s.stopClean(t)
	logs := s.out.String()
	if !strings.Contains(logs, "sync failed") || !strings.Contains(logs, "[redacted]") {
		t.Error("no redacted sync failure in the log: the test proves nothing")
	}
	printed.WriteString(logs)
	out := printed.String()
	for i, f := range forms {
		if strings.Contains(out, f) {
			t.Errorf("form %d of a credential (%d chars) was printed", i, len(f))
		}
	}
}
