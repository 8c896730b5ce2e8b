package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/woocommerce"
	"github.com/cancelsync/cancelsync/platform/woocommerce/wootest"
)

const (
	wooSecret = "Wc secret: {with} spaces & punctuation!"
	wooKey    = "ck_e2e0000000000000000000000000000000000aa"
	wooCS     = "cs_e2e0000000000000000000000000000000000bb"
)

// wooRig is a running cancelsync with two WooCommerce adapters on one fake
// store: "woo" (merchant answers within an hour) and "woo-quick" (a
// timerWindow response window, to watch silence escalate). Both accept relayed §3
// cancellation bodies signed with the harness's whsec_ secret.
func wooRig(t *testing.T, rb redisBackend) (*service, *wootest.Server) {
	t.Helper()
	url := rb(t)
	store := wootest.NewServer(wooKey, wooCS)
	t.Cleanup(store.Close)
	listen := freeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nredis_url: %q\nadmin_token: %q\nshutdown_timeout: 10s\nworker_concurrency: 20\ntimer_resolution: 100ms\nlog_level: debug\norder_wait: 5s\nadapters:\n",
		listen, url, adminToken)
	for id, window := range map[string]string{"woo": "1h", "woo-quick": timerWindow.String()} {
		fmt.Fprintf(&b, "  - id: %s\n    platform: woocommerce\n    secrets: [%q]\n    relay_secrets: [%q]\n", id, wooSecret, secret)
		fmt.Fprintf(&b, "    api: {base_url: %q, consumer_key: %q, consumer_secret: %q, timeout: 2s}\n", store.URL, wooKey, wooCS)
		fmt.Fprintf(&b, "    policy: {response_window: %s, status_map: {shipped: shipped}}\n", window)
		b.WriteString("    retry: {max_attempts: 5, base_delay: 100ms, max_delay: 2s}\n")
	}
	path := filepath.Join(t.TempDir(), "cancelsync.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "serve", path, listen), store
}

// wooOrder is the REST API docs' order (platform/woocommerce/testdata) as
// WooCommerce would send it for order id with status, modified at modified.
func wooOrder(t *testing.T, id int, status string, modified time.Time) []byte {
	t.Helper()
	raw, err := os.ReadFile("../platform/woocommerce/testdata/order_retrieve_727.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var o map[string]any
	if err := dec.Decode(&o); err != nil {
		t.Fatal(err)
	}
	o["id"], o["number"], o["status"] = id, fmt.Sprint(id), status
	o["date_created_gmt"] = modified.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05")
	o["date_modified_gmt"] = modified.UTC().Format("2006-01-02T15:04:05")
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deliver posts body to the adapter's /orders as WooCommerce does, signed
// with sig (empty: unsigned).
func (s *service) deliverWoo(t *testing.T, adapter, topic, sig string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/webhooks/"+adapter+"/orders", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7)")
	req.Header.Set("X-WC-Webhook-Source", "https://shop.example/")
	req.Header.Set("X-WC-Webhook-Topic", topic)
	req.Header.Set("X-WC-Webhook-Resource", "order")
	req.Header.Set("X-WC-Webhook-Event", strings.TrimPrefix(topic, "order."))
	req.Header.Set("X-WC-Webhook-ID", "17")
	req.Header.Set("X-WC-Webhook-Delivery-ID", "b7c0d7bb1d3b1c3b6a0f7a1c2c9b55e1")
	if sig != "" {
		req.Header.Set("X-WC-Webhook-Signature", sig)
	}
	return do(t, req)
}

// acceptWoo delivers a signed order webhook and fails unless it is queued.
func (s *service) acceptWoo(t *testing.T, adapter string, body []byte) {
	t.Helper()
	if code, out := s.deliverWoo(t, adapter, "order.updated", woocommerce.Sign(wooSecret, body), body); code != http.StatusAccepted {
		t.Fatalf("order webhook: %d %v", code, out)
	}
}

// routesOf lists the routes of calls, in order.
func routesOf(calls []wootest.Call) []string {
	var rs []string
	for _, c := range calls {
		rs = append(rs, c.Route)
	}
	return rs
}

func count(calls []wootest.Call, route string) int {
	n := 0
	for _, c := range calls {
		if c.Route == route {
			n++
		}
	}
	return n
}

// TestWooCommerceStore plays a WooCommerce store's story against the real binary and a
// fake WooCommerce REST API, checking the read API and what the store got.
func TestWooCommerceStore(t *testing.T) {
	t.Parallel()
	wooCommerceStore(t, single)
}

func wooCommerceStore(t *testing.T, rb redisBackend) {
	s, store := wooRig(t, rb)
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("the creation ping is answered 200 ignored", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/webhooks/woo/orders", strings.NewReader("webhook_id=17"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7)")
		if code, out := do(t, req); code != http.StatusOK || out["status"] != "ignored" || out["webhook_id"] != "17" {
			t.Fatalf("ping: %d %v", code, out)
		}
		// Any other form body is not JSON: 415.
		req, _ = http.NewRequest(http.MethodPost, s.url+"/webhooks/woo/orders", strings.NewReader("webhook_id=17&x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if code, out := do(t, req); code != http.StatusUnsupportedMediaType {
			t.Fatalf("other form body: %d %v", code, out)
		}
	})

	t.Run("bad or missing signature is 401", func(t *testing.T) {
		body := wooOrder(t, 1000, "processing", now)
		for name, sig := range map[string]string{"wrong secret": woocommerce.Sign("not the secret", body), "none": ""} {
			if code, out := s.deliverWoo(t, "woo", "order.updated", sig, body); code != http.StatusUnauthorized {
				t.Fatalf("%s: %d %v", name, code, out)
			}
		}
		if v := s.view(t, "woo", "1000"); v != nil {
			t.Fatalf("an unsigned order was stored: %v", v)
		}
	})

	t.Run("dedup by webhook id and body; drafts and other topics ignored; unknown status named", func(t *testing.T) {
		body := wooOrder(t, 1001, "processing", now)
		sig := woocommerce.Sign(wooSecret, body)
		code, out := s.deliverWoo(t, "woo", "order.updated", sig, body)
		wantID := woocommerce.DeliveryID("17", body)
		if code != http.StatusAccepted || out["webhook_id"] != wantID {
			t.Fatalf("first: %d %v", code, out)
		}
		if code, out := s.deliverWoo(t, "woo", "order.updated", sig, body); code != http.StatusOK || out["status"] != "duplicate" {
			t.Fatalf("re-delivery: %d %v", code, out)
		}
		changed := wooOrder(t, 1001, "completed", now.Add(time.Minute))
		if code, out := s.deliverWoo(t, "woo", "order.updated", woocommerce.Sign(wooSecret, changed), changed); code != http.StatusAccepted {
			t.Fatalf("changed body, same webhook: %d %v", code, out)
		}
		s.waitFor(t, "woo", "1001", "completed", func(v map[string]any) bool { return field(v, "order", "status") == "completed" })

		draft := wooOrder(t, 1002, "checkout-draft", now)
		if code, out := s.deliverWoo(t, "woo", "order.created", woocommerce.Sign(wooSecret, draft), draft); code != http.StatusOK || out["status"] != "ignored" {
			t.Fatalf("draft: %d %v", code, out)
		}
		if code, out := s.deliverWoo(t, "woo", "product.updated", woocommerce.Sign(wooSecret, []byte(`{"id":93}`)), []byte(`{"id":93}`)); code != http.StatusOK || out["status"] != "ignored" {
			t.Fatalf("product topic: %d %v", code, out)
		}
		odd := wooOrder(t, 1003, "awaiting-shipment", now)
		code, out = s.deliverWoo(t, "woo", "order.updated", woocommerce.Sign(wooSecret, odd), odd)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["errors"]), "awaiting-shipment") {
			t.Fatalf("unknown status: %d %v", code, out)
		}
		mapped := wooOrder(t, 1004, "shipped", now)
		s.acceptWoo(t, "woo", mapped)
		s.waitFor(t, "woo", "1004", "shipped through status_map", func(v map[string]any) bool { return field(v, "order", "status") == "shipped" })
	})

	t.Run("buyer cancels a pending order at once: status PUT, no refund", func(t *testing.T) {
		s.acceptWoo(t, "woo", wooOrder(t, 1010, "pending", now))
		s.waitFor(t, "woo", "1010", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "woo", "cancellations", requestBody("1010", "cr-w10", "buyer", now))
		v := s.waitFor(t, "woo", "1010", "cancelled+synced", stateIs("cancelled", "synced"))
		if c := v["cancellation"].(map[string]any); c["refund"] != nil {
			t.Fatalf("an unpaid order got a refund: %v", c)
		}
		calls := store.CallsFor("1010")
		if len(calls) != 1 || calls[0].Route != wootest.UpdateOrder || calls[0].Body["status"] != "cancelled" || !calls[0].AuthOK {
			t.Fatalf("store calls %v", routesOf(calls))
		}
		if len(store.Refunds("1010")) != 0 {
			t.Fatal("refunded an unpaid order")
		}
	})

	// The merchant answers as the seller (§3 responders are buyer or seller).
	t.Run("buyer on a processing order waits for the merchant; accept cancels with exactly one refund despite a 503", func(t *testing.T) {
		s.acceptWoo(t, "woo", wooOrder(t, 1020, "processing", now))
		s.waitFor(t, "woo", "1020", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "woo", "cancellations", requestBody("1020", "cr-w20", "buyer", now))
		v := s.waitFor(t, "woo", "1020", "pending", stateIs("pending_response", "synced"))
		if field(v, "cancellation", "respond_by") == nil {
			t.Fatalf("no respond_by: %v", v)
		}
		if notes := store.Notes("1020"); len(notes) != 1 || !notes[0].CustomerNote || store.Status("1020") == "cancelled" {
			t.Fatalf("notes %v, status %s", notes, store.Status("1020"))
		}

		store.Fail(wootest.UpdateOrder, wootest.Answer{Status: http.StatusServiceUnavailable, Header: wootest.RetryAfter(time.Second)})
		s.accept(t, "woo", "cancellations", responseBody("1020", "cr-w20", "seller", "accept", now.Add(time.Minute)))
		v = s.waitFor(t, "woo", "1020", "cancelled+synced", stateIs("cancelled", "synced"))
		if field(v, "cancellation", "refund", "method") != "original_payment" || field(v, "cancellation", "refund", "amount") != "29.35" {
			t.Fatalf("view %v", v)
		}
		calls := store.CallsFor("1020")
		if n := count(calls, wootest.UpdateOrder); n != 2 {
			t.Fatalf("%d status PUTs (want the 503 and its retry): %v", n, routesOf(calls))
		}
		refunds := store.Refunds("1020")
		if len(refunds) != 1 || refunds[0].Amount != "29.35" || refunds[0].Reason != "cancelsync cr-w20" || !refunds[0].APIRefund {
			t.Fatalf("refunds %+v", refunds)
		}
		if store.Status("1020") != "cancelled" {
			t.Fatalf("status %s", store.Status("1020"))
		}
	})

	t.Run("merchant declines: denied declined and a note", func(t *testing.T) {
		s.acceptWoo(t, "woo", wooOrder(t, 1030, "processing", now))
		s.waitFor(t, "woo", "1030", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "woo", "cancellations", requestBody("1030", "cr-w30", "buyer", now))
		s.waitFor(t, "woo", "1030", "pending", stateIs("pending_response", "synced"))
		s.accept(t, "woo", "cancellations", responseBody("1030", "cr-w30", "seller", "decline", now.Add(time.Minute)))
		v := s.waitFor(t, "woo", "1030", "denied+synced", stateIs("denied", "synced"))
		if field(v, "cancellation", "denial_reason") != "declined" {
			t.Fatalf("view %v", v)
		}
		notes := store.Notes("1030")
		if len(notes) != 2 || !notes[0].CustomerNote || !strings.Contains(notes[0].Note, "declined") {
			t.Fatalf("notes %+v", notes)
		}
		if store.Status("1030") != "processing" || len(store.Refunds("1030")) != 0 {
			t.Fatalf("a declined request touched the order: %s %v", store.Status("1030"), store.Refunds("1030"))
		}
	})

	t.Run("merchant silence escalates", func(t *testing.T) {
		s.acceptWoo(t, "woo-quick", wooOrder(t, 1040, "processing", now))
		s.waitFor(t, "woo-quick", "1040", "order stored", func(v map[string]any) bool { return v["order"] != nil })
		s.accept(t, "woo-quick", "cancellations", requestBody("1040", "cr-w40", "buyer", time.Now()))
		v := s.waitFor(t, "woo-quick", "1040", "escalated+synced", stateIs("escalated", "synced"))
		if field(v, "cancellation", "version") != 2.0 {
			t.Fatalf("view %v", v)
		}
		notes := store.Notes("1040")
		if len(notes) != 2 || !strings.Contains(notes[0].Note, "support") {
			t.Fatalf("notes %+v", notes)
		}
		if len(store.Refunds("1040")) != 0 || store.Status("1040") == "cancelled" {
			t.Fatal("silence cancelled or refunded the order")
		}
	})

	for _, c := range store.Calls() {
		if !c.AuthOK {
			t.Fatalf("a call without the REST keys: %+v", c)
		}
	}
	assertNoSecrets(t, s.out.String(), wooSecret, wooKey, wooCS)
	s.stopClean(t)
}
