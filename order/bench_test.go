package order

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// BenchmarkTransition is the CPU of one event in the store, without Redis:
// decode the stored document, apply a cancellation request to it (the
// policy decision included) and encode it again.
func BenchmarkTransition(b *testing.B) {
	ad := &platform.Adapter{ID: "bench-self", Platform: "selfservice", Rules: selfservice.Policy{}}
	now := time.Now().UTC()
	doc := &Doc{}
	tr := &Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w-snap", now, snapshot("o-1", platform.StatusPaid, placed))
	raw, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	req := request("o-1", "cr-1", platform.Buyer)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		doc := &Doc{}
		if err := json.Unmarshal(raw, doc); err != nil {
			b.Fatal(err)
		}
		doc.Upgrade()
		tr := &Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
		tr.ApplyDelivery("w-req", now, req)
		if !tr.Changed() || tr.Effects().Sync != 1 {
			b.Fatal("not decided")
		}
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}
