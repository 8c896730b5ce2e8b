package orderstore

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

func TestTrimDueOncePerMinutePerSet(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := &Store{Now: func() time.Time { return now }}
	if !s.trimDue("a") || s.trimDue("a") {
		t.Fatal("a set is trimmed on its first write, and not again within the minute")
	}
	if !s.trimDue("b") {
		t.Fatal("another set has its own minute")
	}
	now = now.Add(trimEvery - time.Second)
	if s.trimDue("a") {
		t.Fatal("trimmed again before the minute is up")
	}
	now = now.Add(time.Second)
	if !s.trimDue("a") {
		t.Fatal("not trimmed once the minute is up")
	}
	now = now.Add(-time.Hour) // the clock stepped back
	if !s.trimDue("a") {
		t.Fatal("a clock stepped back must not stop the trims")
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
	before := factsOf(layout{}, ad.ID, "o", doc)
	tr.ApplyDelivery("w2", now, oldRequest("o", "old", platform.Seller, "other", now.Add(-100*24*time.Hour)))
	ops := indexOps(layout{}, ad.ID, "o", before, doc, now, DefaultRetention, func(string) bool { return false })
	for _, o := range ops {
		if o.op == "za" || o.op == "zt" {
			t.Errorf("%+v: a 100-day-old request is added or trimmed for", o)
		}
	}
	if len(ops) == 0 {
		t.Error("no commands: the day counters should still count it")
	}
}
