package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// TestUpgradeReadsThePreviousRelease: on one Redis, what the previous
// release left behind is read by this one. The fixture is written with
// the previous release's literal keys and queue names (not asked of the
// code under test): a stored order document, a cancellation queued on
// the old events queue, a sync queued on the old sync queue, and a
// remembered webhook-id. The binary then decides the queued request on
// the stored document, syncs both orders, and answers the remembered
// webhook-id as a duplicate.
func TestUpgradeReadsThePreviousRelease(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	p := newPlatform(t)
	const ad = "up-self"
	cfg, listen := writeConfig(t, rs.URL(), []adapterConf{{id: ad, platform: "selfservice", baseURL: p.srv.URL}}, "")
	rdb := rs.Client()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	placed := now.Add(-time.Hour)

	// U-1: a paid order stored by the previous release, and a buyer's
	// request it accepted and queued but did not run.
	snapshot := `{"b":"buyer-1","st":"paid","pa":"` + placed.Format(time.RFC3339) + `","ua":"` + now.Format(time.RFC3339) + `","t":{"a":"10.00","c":"USD"}}`
	doc := `{"o":` + snapshot + `}`
	if err := rdb.Set(ctx, "cancelsync:order:{"+ad+":U-1}", doc, 0).Err(); err != nil {
		t.Fatal(err)
	}
	request := map[string]any{"a": ad, "w": "w-old-1", "t": now, "e": map[string]any{
		"type": "cancellation.requested", "cancellation": map[string]any{"type": "cancellation.requested",
			"order_id": "U-1", "request_id": "cr-u1", "initiator": "buyer", "reason": "changed_mind", "occurred_at": now}}}
	old := asynq.NewClient(asynq.RedisClientOpt{Addr: rs.Addr})
	defer old.Close()
	enqueue := func(kind, queue, id string, payload any) {
		t.Helper()
		b, _ := json.Marshal(payload)
		if _, err := old.Enqueue(asynq.NewTask(kind, b), asynq.Queue(queue), asynq.TaskID(id), asynq.MaxRetry(200)); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("cancelsync:event", "cancelsync-events", "event.0000000000000000.7:up-self8:w-old-1", request)

	// U-2: an order the previous release cancelled and queued the sync of.
	doc2 := `{"o":` + snapshot + `,"r":[{"id":"cr-u2","i":"buyer","re":"changed_mind","oa":"` + now.Format(time.RFC3339) +
		`","st":"cancelled","rf":{"m":"original_payment","a":"10.00","c":"USD"},"v":1}],"v":1}`
	if err := rdb.Set(ctx, "cancelsync:order:{"+ad+":U-2}", doc2, 0).Err(); err != nil {
		t.Fatal(err)
	}
	enqueue("cancelsync:sync", "cancelsync-sync", "sync.0000000000000000.7:up-self3:U-21:11:01:1",
		map[string]any{"a": ad, "o": "U-2", "q": "cr-u2", "v": 1})

	// A webhook-id the previous release remembered.
	if err := rdb.Set(ctx, "cancelsync:delivery:{"+ad+"}:w-old-seen", "1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}

	s := start(t, "serve", cfg, listen)
	v := s.waitFor(t, ad, "U-1", "cancelled+synced", stateIs("cancelled", "synced"))
	if field(v, "order", "buyer_id") != "buyer-1" {
		t.Errorf("U-1 decided without its stored snapshot: %v", v)
	}
	s.waitFor(t, ad, "U-2", "synced", stateIs("cancelled", "synced"))
	if vs := p.syncedVersions("U-1"); len(vs) != 1 || vs[0] != 1 {
		t.Errorf("U-1 PUTs %v", vs)
	}
	if vs := p.syncedVersions("U-2"); len(vs) != 1 || vs[0] != 1 {
		t.Errorf("U-2 PUTs %v", vs)
	}
	code, body := s.post(t, ad, "orders", "w-old-seen", orderBody("U-3", "paid", placed, now, nil))
	if code != http.StatusOK || body["status"] != "duplicate" {
		t.Errorf("a webhook-id the previous release remembered: %d %v, want 200 duplicate", code, body)
	}

	// A store with data stays in the previous release's format, which a
	// previous release's process beside this one still reads: JSON
	// documents, and no lock inside them.
	if raw := rdb.Get(ctx, "cancelsync:order:{"+ad+":U-2}").Val(); !strings.HasPrefix(raw, "{") {
		t.Fatalf("a shared store got a document a previous release cannot read: %q", raw)
	}
	if code, out := runCLI(t, "store", "status", "--config", cfg); code != 0 || !strings.Contains(out, "store format: json") {
		t.Fatalf("store status: %d %s", code, out)
	}
	// Every process runs this release: the operator switches the store.
	if code, out := runCLI(t, "store", "upgrade", "--config", cfg); code != 0 || !strings.Contains(out, "compact since") {
		t.Fatalf("store upgrade: %d %s", code, out)
	}
	// Within the format's recheck, the running process writes compact;
	// the documents the previous release wrote are read all along.
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		id := fmt.Sprintf("U-C%d", i)
		code, _ := s.post(t, ad, "orders", "w-c"+id, orderBody(id, "paid", placed, now, nil))
		if code != http.StatusAccepted && code != http.StatusOK {
			t.Fatalf("snapshot %s: %d", id, code)
		}
		s.post(t, ad, "cancellations", "w-r"+id, requestBody(id, "cr-"+id, "buyer", now))
		v := s.waitFor(t, ad, id, "cancelled+synced", stateIs("cancelled", "synced"))
		if field(v, "order", "buyer_id") != "b-17" {
			t.Fatalf("%s: %v", id, v)
		}
		raw := rdb.Get(ctx, "cancelsync:order:{"+ad+":"+id+"}").Val()
		if !strings.HasPrefix(raw, "{") {
			break // compact
		}
		if time.Now().After(deadline) {
			t.Fatalf("still JSON 20 s after the upgrade: %q", raw)
		}
		time.Sleep(time.Second)
	}
	s.waitFor(t, ad, "U-1", "still cancelled+synced", stateIs("cancelled", "synced"))
	s.waitFor(t, ad, "U-2", "still synced", stateIs("cancelled", "synced"))
}
