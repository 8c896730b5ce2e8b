package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
)

// TestIngestAnswersEveryRowOfTheContract posts to the running binary one
// request per row of docs/API.md §3's response table.
func TestIngestAnswersEveryRowOfTheContract(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil, "max_body_bytes: 4096", adapterConf{id: "acme-posh", platform: "poshmark"})
	rs := r.rs
	s := r.serve(t)
	now := time.Now()
	order := orderBody("PM-1", "paid", now.Add(-time.Hour), now, nil)

	id := newID()
	code, body := s.post(t, "acme-posh", "orders", id, order)
	if code != http.StatusAccepted || body["status"] != "queued" || body["webhook_id"] != id {
		t.Fatalf("first delivery: %d %v", code, body)
	}
	code, body = s.post(t, "acme-posh", "orders", id, order)
	if code != http.StatusOK || body["status"] != "duplicate" || body["webhook_id"] != id {
		t.Fatalf("re-delivery: %d %v", code, body)
	}

	raw := func(adapter, kind, contentType string, body []byte, mutate func(h http.Header)) (int, map[string]any) {
		req, err := signedRequest(s.url, adapter, kind, newID(), time.Now(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if mutate != nil {
			mutate(req.Header)
		}
		return do(t, req)
	}
	good := []byte(`{"type":"order.created","data":{"order_id":"PM-2","status":"paid","placed_at":"2026-11-20T10:00:00Z","updated_at":"2026-11-20T10:05:00Z","buyer_id":"b-17","seller_id":"s-4","total":{"amount":"42.50","currency":"USD"},"items":[]}}`)
	cases := []struct {
		name      string
		adapter   string
		kind      string
		ctype     string
		body      []byte
		mutate    func(h http.Header)
		status    int
		wantField string
		wantText  string
	}{
		{name: "malformed JSON", body: []byte(`{"type":`), status: 400},
		{name: "bad order_id", body: bytes.Replace(good, []byte(`"PM-2"`), []byte(`"PM 2!"`), 1), status: 400, wantField: "data.order_id"},
		{name: "three decimals in USD", body: bytes.Replace(good, []byte(`"42.50"`), []byte(`"42.505"`), 1), status: 400, wantField: "data.total.amount"},
		{name: "wrong type for endpoint", kind: "cancellations", status: 400, wantField: "type"},
		{name: "bad signature", mutate: func(h http.Header) { h.Set("webhook-signature", "v1,AAAA") }, status: 401, wantText: "signature"},
		{name: "missing signature", mutate: func(h http.Header) { h.Del("webhook-signature") }, status: 401, wantText: "signature"},
		{name: "stale timestamp", mutate: func(h http.Header) {
			old := time.Now().Add(-6 * time.Minute)
			sig, _ := standardwebhooks.Sign(secret, h.Get("webhook-id"), old, good)
			h.Set("webhook-timestamp", fmt.Sprint(old.Unix()))
			h.Set("webhook-signature", sig)
		}, status: 401, wantText: "timestamp"},
		{name: "unknown adapter", adapter: "nobody", status: 404},
		{name: "body too large", body: bytes.Repeat([]byte("x"), 5000), status: 413},
		{name: "not JSON", ctype: "text/plain", status: 415},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			adapter, kind, ctype, body := "acme-posh", "orders", "application/json", good
			if c.adapter != "" {
				adapter = c.adapter
			}
			if c.kind != "" {
				kind = c.kind
			}
			if c.ctype != "" {
				ctype = c.ctype
			}
			if c.body != nil {
				body = c.body
			}
			code, out := raw(adapter, kind, ctype, body, c.mutate)
			if code != c.status || out["status"] != float64(c.status) || out["title"] == nil || out["type"] == nil {
				t.Fatalf("got %d %v, want %d problem", code, out, c.status)
			}
			if c.wantField != "" && !strings.Contains(fmt.Sprint(out["errors"]), "field:"+c.wantField+" ") {
				t.Fatalf("errors %v do not name %s", out["errors"], c.wantField)
			}
			if c.wantText != "" && !strings.Contains(fmt.Sprint(out["detail"]), c.wantText) {
				t.Fatalf("detail %v does not say %s", out["detail"], c.wantText)
			}
		})
	}

	// Redis unreachable: 503 with Retry-After, never a 2xx; back by itself.
	rs.Stop()
	req := func() *http.Response {
		b, _ := jsonBytes(orderBody("PM-3", "paid", now, now, nil))
		r, err := signedRequest(s.url, "acme-posh", "orders", newID(), time.Now(), b)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for range 3 {
		resp := req()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("Redis down: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := http.Get(s.url + "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: %d", resp.StatusCode)
	}
	rs.Restart()
	if !poll(20*time.Second, 100*time.Millisecond, func() bool { return req().StatusCode == http.StatusAccepted }) {
		t.Fatal("ingest did not recover after Redis came back")
	}
	if resp, _ := http.Get(s.url + "/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz after recovery: %d", resp.StatusCode)
	}
	// The order accepted before the outage is stored (appendonly Redis).
	s.waitFor(t, "acme-posh", "PM-1", "order stored", func(v map[string]any) bool { return v["order"] != nil })
	s.stopClean(t)
	assertNoSecrets(t, s.out.String(), "tok-acme-posh-secret", adminToken)
}
