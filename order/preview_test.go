package order

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/registry"
)

// previewSettings configures one adapter of each platform for the table;
// each platform checks its own secret format and keys.
func previewSettings(plat string, w platform.Windows) platform.Settings {
	s := platform.Settings{
		ID: "p-" + plat, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Windows: w,
		API: platform.API{BaseURL: "http://127.0.0.1:9", Token: "tok", Timeout: time.Second},
	}
	switch plat {
	case "shopify":
		s.Secrets, s.Block = []string{"shopify-client-secret-0123456789"}, platform.BlockOf(map[string]any{"shop": "t-store.myshopify.com"})
	case "woocommerce":
		s.Secrets = []string{"woo-webhook-secret"}
		s.Block = platform.BlockOf(map[string]any{"api.consumer_key": "ck_test", "api.consumer_secret": "cs_test"})
	}
	return s
}

// TestPreviewMatchesDecisionTables asks the storefront's question ("what
// would a buyer's request made now get?") of every platform in the
// situations of its decision table (docs/DECISIONS.md), and checks
// each answer twice: against the table, and against what the workers'
// transition actually decides when the same request arrives on the same
// stored document. So the preview can't drift from the workers.
func TestPreviewMatchesDecisionTables(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	type situation struct {
		status platform.OrderStatus
		age    time.Duration // now - placed_at
		// openOther: another request is pending_response; cancelledBy: an
		// earlier request of ours cancelled the order (its snapshot still paid).
		openOther, cancelledBy bool
		window                 time.Duration // policy.cancel_window
	}
	type want struct {
		state    platform.State
		denial   platform.DenialReason
		cancelBy time.Duration // placed_at + this, 0 for null
	}
	shared := func(deliveredBlocks bool) map[string]struct {
		s situation
		w want
	} {
		rows := map[string]struct {
			s situation
			w want
		}{
			"cancelled":                 {situation{status: platform.StatusCancelled, age: time.Hour}, want{platform.Denied, platform.AlreadyCancelled, 0}},
			"cancelled by our request":  {situation{status: platform.StatusPaid, age: time.Hour, cancelledBy: true}, want{platform.Denied, platform.AlreadyCancelled, 0}},
			"another request open":      {situation{status: platform.StatusPaid, age: time.Hour, openOther: true}, want{platform.Denied, platform.RequestOpen, 0}},
			"completed":                 {situation{status: platform.StatusCompleted, age: time.Hour}, want{platform.Denied, platform.AlreadyDelivered, 0}},
			"shipped":                   {situation{status: platform.StatusShipped, age: time.Hour}, want{platform.Denied, platform.AlreadyShipped, 0}},
			"cancelled before shipping": {situation{status: platform.StatusCancelled, age: 10 * time.Minute}, want{platform.Denied, platform.AlreadyCancelled, 0}},
		}
		if deliveredBlocks {
			rows["delivered"] = struct {
				s situation
				w want
			}{situation{status: platform.StatusDelivered, age: time.Hour}, want{platform.Denied, platform.AlreadyDelivered, 0}}
		}
		return rows
	}
	type row = struct {
		s situation
		w want
	}
	tables := map[string]map[string]row{
		"selfservice": {
			"paid":                        {situation{status: platform.StatusPaid, age: time.Hour}, want{platform.Cancelled, "", 0}},
			"placed":                      {situation{status: platform.StatusPlaced, age: 30 * 24 * time.Hour}, want{platform.Cancelled, "", 0}},
			"configured window is unused": {situation{status: platform.StatusPaid, age: 2 * time.Hour, window: time.Hour}, want{platform.Cancelled, "", 0}},
		},
		"poshmark": {
			"within 3h":          {situation{status: platform.StatusPaid, age: time.Hour}, want{platform.Cancelled, "", 3 * time.Hour}},
			"at 3h, edge inside": {situation{status: platform.StatusPaid, age: 3 * time.Hour}, want{platform.Cancelled, "", 3 * time.Hour}},
			"past 3h":            {situation{status: platform.StatusPaid, age: 3*time.Hour + time.Second}, want{platform.Denied, platform.WindowExpired, 3 * time.Hour}},
			"configured 1h, past": {situation{status: platform.StatusPaid, age: 90 * time.Minute, window: time.Hour},
				want{platform.Denied, platform.WindowExpired, time.Hour}},
		},
		"aliexpress": {
			"paid":   {situation{status: platform.StatusPaid, age: 5 * 24 * time.Hour}, want{platform.PendingResponse, "", 0}},
			"placed": {situation{status: platform.StatusPlaced, age: time.Hour}, want{platform.PendingResponse, "", 0}},
		},
		"fiverr": {
			"paid":                     {situation{status: platform.StatusPaid, age: time.Hour}, want{platform.PendingResponse, "", 0}},
			"delivered does not block": {situation{status: platform.StatusDelivered, age: time.Hour}, want{platform.PendingResponse, "", 0}},
		},
		"shopify": {
			"paid, no window":   {situation{status: platform.StatusPaid, age: 60 * 24 * time.Hour}, want{platform.Cancelled, "", 0}},
			"window 2h, within": {situation{status: platform.StatusPaid, age: time.Hour, window: 2 * time.Hour}, want{platform.Cancelled, "", 2 * time.Hour}},
			"window 2h, past":   {situation{status: platform.StatusPaid, age: 3 * time.Hour, window: 2 * time.Hour}, want{platform.Denied, platform.WindowExpired, 2 * time.Hour}},
			"placed (unpaid)":   {situation{status: platform.StatusPlaced, age: time.Hour}, want{platform.Cancelled, "", 0}},
		},
		"woocommerce": {
			"placed (unpaid)": {situation{status: platform.StatusPlaced, age: time.Hour}, want{platform.Cancelled, "", 0}},
			"paid":            {situation{status: platform.StatusPaid, age: time.Hour}, want{platform.PendingResponse, "", 0}},
		},
	}
	deliveredBlocks := map[string]bool{"fiverr": false}

	reg := registry.Default()
	for name := range reg {
		if _, ok := tables[name]; !ok {
			t.Errorf("platform %s has no rows in this table: add its decision table", name)
		}
	}
	for plat, rows := range tables {
		blocks, set := deliveredBlocks[plat]
		if !set {
			blocks = true
		}
		for name, r := range shared(blocks) {
			rows["shared: "+name] = r
		}
		for name, r := range rows {
			t.Run(plat+"/"+name, func(t *testing.T) {
				p, ok := reg[plat]
				if !ok {
					t.Skipf("platform %s is not in this build", plat)
				}
				ad, err := p.New(previewSettings(plat, platform.Windows{CancelWindow: r.s.window}))
				if err != nil {
					t.Fatal(err)
				}
				placed := now.Add(-r.s.age)
				doc := &Doc{Order: &Snapshot{
					BuyerID: "b-1", SellerID: "s-1", Status: r.s.status, PlacedAt: placed, UpdatedAt: placed.Add(time.Minute),
					Total: money{Amount: "42.50", Currency: "USD"},
				}}
				if r.s.openOther {
					doc.Requests = append(doc.Requests, Request{ID: "r-open", Initiator: platform.Seller, Reason: "other", OccurredAt: placed,
						State: platform.PendingResponse, RespondBy: new(now.Add(time.Hour)), Version: 1})
					doc.Version = 1
				}
				if r.s.cancelledBy {
					doc.Requests = append(doc.Requests, Request{ID: "r-done", Initiator: platform.Buyer, Reason: "other", OccurredAt: placed,
						State: platform.Cancelled, Version: 1, Sync: SyncSynced})
					doc.Version, doc.Acked, doc.CancelledBy = 1, 1, "r-done"
				}
				workers := cloneDoc(t, doc)

				c := platform.Cancellation{Type: platform.CancellationRequested, OrderID: "o-1", Initiator: platform.Buyer, OccurredAt: now}
				got := PreviewOf(doc, ad, "o-1", c, now)
				if got.Would.State != r.w.state || got.Would.DenialReason != r.w.denial {
					t.Errorf("would = %s %q, the table says %s %q", got.Would.State, got.Would.DenialReason, r.w.state, r.w.denial)
				}
				switch {
				case r.w.cancelBy == 0 && got.CancelBy != nil:
					t.Errorf("cancel_by = %s, want null", got.CancelBy)
				case r.w.cancelBy != 0 && (got.CancelBy == nil || !got.CancelBy.Equal(placed.Add(r.w.cancelBy))):
					t.Errorf("cancel_by = %v, want %s", got.CancelBy, placed.Add(r.w.cancelBy))
				}

				// The same request, arriving now, through the workers' transition.
				tr := &Transition{Doc: workers, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
				c.RequestID, c.Reason = "r-new", "changed_mind"
				tr.ApplyDelivery("w-new", now, platform.Event{Type: platform.CancellationRequested, Cancellation: &c})
				stored := workers.Request("r-new")
				if stored == nil {
					t.Fatal("the workers stored no request")
				}
				if decided := stored.Domain().Outcome; !reflect.DeepEqual(decided, got.Would) {
					t.Errorf("the workers decided %+v, the preview said %+v", decided, got.Would)
				}
			})
		}
	}
}

func cloneDoc(t *testing.T, d *Doc) *Doc {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	out := &Doc{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}
