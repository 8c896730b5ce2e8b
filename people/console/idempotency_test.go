package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/cancelsync/cancelsync/tasks"
)

// TestIdempotencyKeyBoundToOrderAndBody: on the twins and the page's form,
// an Idempotency-Key repeated with the same order and body is the first
// answer; with another order or body it is a 422 and nothing is queued, so
// no order is told "queued" for a request it never gets.
func TestIdempotencyKeyBoundToOrderAndBody(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	post := func(path, body, key string) (int, map[string]any) {
		t.Helper()
		rq, _ := http.NewRequest("POST", r.srv.URL+path, strings.NewReader(body))
		rq.Header.Set("Authorization", "Bearer tok-a")
		rq.Header.Set("Content-Type", "application/json")
		rq.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(res.Body).Decode(&v)
		if res.StatusCode == 422 && (res.Header.Get("Content-Type") != "application/problem+json" ||
			v["type"] != "https://cancelsync.dev/problems/idempotency-key-reused" || !strings.Contains(v["detail"].(string), "same parameters")) {
			t.Errorf("%s: 422 %s %v, want the idempotency-key-reused problem", path, res.Header.Get("Content-Type"), v)
		}
		return res.StatusCode, v
	}
	cancel := func(order string) string { return "/v1/adapters/shop-a/orders/" + order + "/cancellations" }
	respond := func(order string) string { return "/v1/adapters/shop-a/orders/" + order + "/responses" }

	code, first := post(cancel("o1"), `{"reason":"other","comments":"out of stock"}`, "k-cancel")
	if code != 202 {
		t.Fatalf("first cancel: %d %v", code, first)
	}
	code, again := post(cancel("o1"), `{"comments":"out of stock", "reason":"other"}`, "k-cancel")
	if code != 200 || again["status"] != "duplicate" || again["request_id"] != first["request_id"] || again["webhook_id"] != first["webhook_id"] {
		t.Errorf("same order and body: %d %v, want 200 duplicate of %v", code, again, first)
	}
	for _, c := range []struct{ what, path, body string }{
		{"cancel another order", cancel("o2"), `{"reason":"other","comments":"out of stock"}`},
		{"cancel another reason", cancel("o1"), `{"reason":"changed_mind","comments":"out of stock"}`},
		{"cancel other comments", cancel("o1"), `{"reason":"other"}`},
	} {
		if code, v := post(c.path, c.body, "k-cancel"); code != 422 {
			t.Errorf("%s: %d %v, want 422", c.what, code, v)
		}
	}
	if code, v := post(respond("o1"), `{"request_id":"r1","decision":"accept"}`, "k-respond"); code != 202 {
		t.Fatalf("first answer: %d %v", code, v)
	}
	if code, v := post(respond("o1"), `{"decision":"accept","request_id":"r1"}`, "k-respond"); code != 200 || v["status"] != "duplicate" {
		t.Errorf("same answer again: %d %v", code, v)
	}
	for _, c := range []struct{ what, path, body string }{
		{"answer another order", respond("o2"), `{"request_id":"r1","decision":"accept"}`},
		{"answer another request", respond("o1"), `{"request_id":"r2","decision":"accept"}`},
		{"answer the other way", respond("o1"), `{"request_id":"r1","decision":"decline"}`},
	} {
		if code, v := post(c.path, c.body, "k-respond"); code != 422 {
			t.Errorf("%s: %d %v, want 422", c.what, code, v)
		}
	}

	// The page's form shares the twin's keys.
	b := newBrowser(t, r)
	b.signIn("tok-a")
	_, page := b.get("/console/adapters/shop-a/orders/o3")
	res, body := b.post("/console/adapters/shop-a/orders/o3/cancellations", url.Values{"csrf": {csrfOf(t, page)}, "reason": {"other"}, "comments": {"out of stock"}, "idempotency_key": {"k-cancel"}})
	if res.StatusCode != 422 || !strings.Contains(body, "same parameters") {
		t.Errorf("the form with a key used on another order: %d %s", res.StatusCode, body)
	}

	// Queued: o1's cancellation and answer, once each; nothing for o2 or o3.
	listed, err := asynq.NewInspectorFromRedisClient(r.rdb).ListPendingTasks(tasks.QueueEvents)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ti := range listed {
		var d tasks.Delivery
		if err := json.Unmarshal(ti.Payload, &d); err != nil {
			t.Fatal(err)
		}
		c := d.Event.Cancellation
		got = append(got, c.OrderID+" "+string(d.Event.Type)+" "+c.Reason+string(c.Decision))
	}
	if len(got) != 2 || !strings.Contains(strings.Join(got, ","), "o1 cancellation.requested other") ||
		!strings.Contains(strings.Join(got, ","), "o1 cancellation.responded accept") {
		t.Errorf("queued %v, want o1's cancellation and answer only", got)
	}
}
