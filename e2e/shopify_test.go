package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform/shopify"
	"github.com/cancelsync/cancelsync/platform/shopify/shopifytest"
)

const testShopDomain = "acme.myshopify.com"

// shopifyOrder is a REST order as Shopify's orders/* webhooks carry it,
// with id written as a bare JSON number (ids above 2^53 included).
func shopifyOrder(id, financial string, fulfilled bool, created, updated time.Time, cancelledAt *time.Time) []byte {
	est := time.FixedZone("EST", -5*3600)
	fulfillmentStatus, fulfillments := "null", "[]"
	if fulfilled {
		fulfillmentStatus = `"fulfilled"`
		fulfillments = fmt.Sprintf(`[{"id":255858046,"status":"success","shipment_status":"in_transit","created_at":%q}]`, updated.In(est).Format(time.RFC3339))
	}
	cancelled := "null"
	if cancelledAt != nil {
		cancelled = fmt.Sprintf("%q", cancelledAt.In(est).Format(time.RFC3339))
	}
	return fmt.Appendf(nil, `{"id":%s,"admin_graphql_api_id":"gid://shopify/Order/%s","created_at":%q,"updated_at":%q,"cancelled_at":%s,`+
		`"financial_status":%q,"fulfillment_status":%s,"currency":"USD","total_price":"388.00",`+
		`"customer":{"id":115310627314723954,"admin_graphql_api_id":"gid://shopify/Customer/115310627314723954"},`+
		`"line_items":[{"id":866550311766439020,"sku":"IPOD2008PINK","variant_id":808950810,"quantity":2,"current_quantity":2,"price":"194.00"}],`+
		`"fulfillments":%s}`,
		id, id, created.In(est).Format(time.RFC3339), updated.In(est).Format(time.RFC3339), cancelled, financial, fulfillmentStatus, fulfillments)
}

// postShopify posts body as Shopify would: HMAC of the body with the app
// secret (the config's secrets), a delivery id, the shop and the topic.
func postShopify(t *testing.T, s *service, adapter, topic string, body []byte, signed bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/webhooks/"+adapter+"/orders", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signed {
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(shopifySecret, body))
	}
	req.Header.Set("X-Shopify-Webhook-Id", "b54557e4-"+newID())
	req.Header.Set("X-Shopify-Shop-Domain", testShopDomain)
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Api-Version", shopify.DefaultAPIVersion)
	return do(t, req)
}

// TestShopifyStore is a Shopify store's story against the real binary: Shopify's
// webhooks in, relay-signed buyer requests, orderCancel out to a fake
// Admin GraphQL API, and each of orderCancel's answers.
func TestShopifyStore(t *testing.T) {
	t.Parallel()
	shopifyStore(t, single)
}

func shopifyStore(t *testing.T, rb redisBackend) {
	shop := shopifytest.NewServer()
	t.Cleanup(shop.Close)
	url := rb(t)
	extra := fmt.Sprintf("    shop: %s\n    relay_secrets: [%q]\n    retry: {max_attempts: 3, base_delay: 100ms, max_delay: 2s}\n", testShopDomain, secret)
	cfg, listen := writeConfig(t, url, []adapterConf{
		{id: "acme-shop", platform: "shopify", baseURL: shop.URL, extra: extra},
		{id: "bare-shop", platform: "shopify", baseURL: shop.URL, extra: "    shop: " + testShopDomain + "\n"},
	}, "")
	s := start(t, "serve", cfg, listen)
	now := time.Now().UTC().Truncate(time.Second)
	placed := now.Add(-time.Hour)
	const a = "acme-shop"

	// orderThenRequest posts a paid order and a buyer's relayed request.
	orderThenRequest := func(t *testing.T, id string, fulfilled bool) {
		t.Helper()
		if code, out := postShopify(t, s, a, "orders/paid", shopifyOrder(id, "paid", fulfilled, placed, now, nil), true); code != http.StatusAccepted {
			t.Fatalf("order %s: %d %v", id, code, out)
		}
		s.accept(t, a, "cancellations", requestBody(id, "rq-"+id, "buyer", now))
	}
	calls := func() int { return len(shop.Calls()) }

	t.Run("edge", func(t *testing.T) {
		body := shopifyOrder("450789469", "paid", false, placed, now, nil)
		if code, _ := postShopify(t, s, a, "orders/create", body, false); code != http.StatusUnauthorized {
			t.Errorf("unsigned: %d, want 401", code)
		}
		code, out := postShopify(t, s, a, "products/update", body, true)
		if code != http.StatusOK || out["status"] != "ignored" || !strings.HasPrefix(fmt.Sprint(out["webhook_id"]), "b54557e4-") {
			t.Errorf("other topic: %d %v, want 200 ignored", code, out)
		}
		if code, out := s.post(t, "bare-shop", "cancellations", newID(), requestBody("450789469", "rq-x", "buyer", now)); code != http.StatusNotFound {
			t.Errorf("/cancellations without relay_secrets: %d %v, want 404", code, out)
		}
	})

	t.Run("paid unfulfilled order above 2^53, buyer request: one orderCancel, synced", func(t *testing.T) {
		const id = "9007199254740993" // 2^53 + 1: a float64 would make it ...992
		orderThenRequest(t, id, false)
		v := s.waitFor(t, a, id, "synced", stateIs("cancelled", "synced"))
		if v["order_id"] != id || field(v, "cancellation", "refund", "method") != "original_payment" || field(v, "order", "status") != "paid" {
			t.Errorf("view %v", v)
		}
		cs := shop.Calls()
		if len(cs) != 1 {
			t.Fatalf("%d orderCancel calls, want 1", len(cs))
		}
		got, _ := json.Marshal(cs[0].Variables)
		want := `{"notifyCustomer":true,"orderId":"gid://shopify/Order/9007199254740993","reason":"CUSTOMER","refundMethod":{"originalPaymentMethodsRefund":true},"restock":true,"staffNote":"cancelsync rq-9007199254740993 v1"}`
		if string(got) != want || cs[0].Token != "tok-acme-shop-secret" || cs[0].Path != "/admin/api/"+shopify.DefaultAPIVersion+"/graphql.json" {
			t.Errorf("call %s %q\nvariables %s\nwant      %s", cs[0].Path, cs[0].Token, got, want)
		}
	})

	t.Run("fulfilled order: denied already_shipped, no call", func(t *testing.T) {
		before := calls()
		orderThenRequest(t, "820982911946154508", true)
		v := s.waitFor(t, a, "820982911946154508", "denied", stateIs("denied", "skipped"))
		if field(v, "cancellation", "denial_reason") != "already_shipped" || field(v, "order", "status") != "shipped" || field(v, "order", "shipped_at") == nil {
			t.Errorf("view %v", v)
		}
		if n := calls(); n != before {
			t.Errorf("%d orderCancel calls for a denial", n-before)
		}
	})

	t.Run("already been canceled: synced", func(t *testing.T) {
		shop.Script(shopifytest.AlreadyCancelledAnswer)
		orderThenRequest(t, "5001", false)
		v := s.waitFor(t, a, "5001", "synced", stateIs("cancelled", "synced"))
		if field(v, "sync", "attempts") != 1.0 {
			t.Errorf("sync %v", v["sync"])
		}
	})

	t.Run("outstanding fulfillments: dead letter with Shopify's message", func(t *testing.T) {
		shop.Script(shopifytest.OutstandingFulfillmentsAnswer)
		before := calls()
		orderThenRequest(t, "5002", false)
		v := s.waitFor(t, a, "5002", "failed", stateIs("cancelled", "failed"))
		msg, _ := field(v, "sync", "last_error").(string)
		if !strings.Contains(msg, "Cannot cancel an order with outstanding fulfillments.") || field(v, "sync", "attempts") != 1.0 {
			t.Errorf("sync %v: want Shopify's message after one attempt (permanent)", v["sync"])
		}
		if n := calls() - before; n != 1 {
			t.Errorf("%d calls, want 1 (no retry of a permanent error)", n)
		}
		code, out := runCLI(t, "dlq", "list", "--config", cfg)
		if code != 0 || !strings.Contains(out, "5002") || !strings.Contains(out, "outstanding fulfillments") {
			t.Errorf("dlq list: exit %d\n%s", code, out)
		}
		assertNoSecrets(t, out, "tok-acme-shop-secret")
	})

	t.Run("THROTTLED then success: synced on the second attempt", func(t *testing.T) {
		shop.Script(shopifytest.ThrottledAnswer)
		before := calls()
		orderThenRequest(t, "5003", false)
		v := s.waitFor(t, a, "5003", "synced", stateIs("cancelled", "synced"))
		if field(v, "sync", "attempts") != 2.0 || calls()-before != 2 {
			t.Errorf("sync %v after %d calls, want 2 attempts", v["sync"], calls()-before)
		}
	})

	t.Run("staff cancel in Shopify admin: the order shows cancelled, no call", func(t *testing.T) {
		before := calls()
		const id = "5004"
		// The buyer asks before the order's first snapshot arrived...
		s.accept(t, a, "cancellations", requestBody(id, "rq-"+id, "buyer", now))
		// ...and the first snapshot is staff's cancel.
		at := now.Add(time.Minute)
		if code, out := postShopify(t, s, a, "orders/cancelled", shopifyOrder(id, "refunded", false, placed, at, &at), true); code != http.StatusAccepted {
			t.Fatalf("cancel snapshot: %d %v", code, out)
		}
		// The sync path has run once the denial's sync is skipped.
		v := s.waitFor(t, a, id, "resolved", stateIs("denied", "skipped"))
		if field(v, "order", "status") != "cancelled" || field(v, "cancellation", "denial_reason") != "already_cancelled" {
			t.Errorf("view %v", v)
		}
		if n := calls() - before; n != 0 {
			t.Errorf("%d orderCancel calls for an order Shopify cancelled", n)
		}
	})
}
