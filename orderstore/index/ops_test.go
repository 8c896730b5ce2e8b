package index

import (
	"fmt"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/order/ordertest"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// BenchmarkIndexOps is the console indexes' share of a transition, without
// Redis: the facts of the stored document before a cancellation request,
// and the commands that bring the indexes to the document after it, in
// each format's scheme (facts.go), its kind registered already as in a
// process's steady state.
func BenchmarkIndexOps(b *testing.B) {
	raw, ad, req := ordertest.BenchDoc(b)
	known := func(string, string) bool { return true }
	for _, format := range []int{order.FormatJSON, order.FormatCompact} {
		b.Run(fmt.Sprintf("format=%d", format), func(b *testing.B) {
			now := time.Now()
			doc, err := order.DecodeDoc(raw)
			if err != nil {
				b.Fatal(err)
			}
			doc.Format = format
			before := FactsOf(oneRedis{}, ad.ID, "o-1", doc)
			tr := &order.Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
			tr.ApplyDelivery("w-req", now, req)
			b.ReportAllocs()
			for b.Loop() {
				next := FactsOf(oneRedis{}, ad.ID, "o-1", doc)
				if ops := Ops(oneRedis{}, ad.ID, "o-1", before, next, doc, now, retention, nil, known); len(ops) == 0 {
					b.Fatal("no index commands")
				}
			}
		})
	}
}

// A request past the retention is never added to a set, so a set trimmed
// only now and then never shows it.
func TestIndexOpsSkipEntriesPastRetention(t *testing.T) {
	ad := &platform.Adapter{ID: "ad", Platform: "selfservice", Rules: selfservice.Policy{}}
	now := time.Now().UTC()
	doc := &order.Doc{}
	tr := &order.Transition{Doc: doc, OrderID: "o", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w1", now, snapshot("o", platform.StatusPaid, placed))
	before := FactsOf(oneRedis{}, ad.ID, "o", doc)
	tr.ApplyDelivery("w2", now, oldRequest("o", "old", platform.Seller, "other", now.Add(-100*24*time.Hour)))
	ops := Ops(oneRedis{}, ad.ID, "o", before, FactsOf(oneRedis{}, ad.ID, "o", doc), doc, now, retention, func(string) bool { return false }, nil)
	for _, o := range ops {
		if o.Op == "za" || o.Op == "zt" {
			t.Errorf("%+v: a 100-day-old request is added or trimmed for", o)
		}
	}
	if len(ops) == 0 {
		t.Error("no commands: the day counters should still count it")
	}
}
