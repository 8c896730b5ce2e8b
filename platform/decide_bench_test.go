package platform_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/aliexpress"
	"github.com/cancelsync/cancelsync/platform/poshmark"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// BenchmarkDecideRequest is one policy decision: the shared checks and a
// platform's rule, for a request that passes the checks (the common case,
// and the longest path).
func BenchmarkDecideRequest(b *testing.B) {
	placed := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	o := platform.Order{ID: "PM-10023", Status: platform.StatusPaid, PlacedAt: placed, UpdatedAt: placed.Add(5 * time.Minute),
		Total: platform.Money{Amount: "42.50", Currency: "USD"}}
	c := platform.Cancellation{Type: platform.CancellationRequested, OrderID: o.ID, RequestID: "cr-881",
		Initiator: platform.Buyer, Reason: "changed_mind", OccurredAt: placed.Add(time.Hour)}
	now := c.OccurredAt.Add(time.Second)
	for _, p := range []struct {
		name  string
		rules platform.Rules
		w     platform.Windows
	}{
		{"selfservice", selfservice.Policy{}, selfservice.Defaults()},
		{"poshmark", poshmark.Platform.Rules, poshmark.Platform.Defaults},
		{"aliexpress", aliexpress.Platform.Rules, aliexpress.Platform.Defaults},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out := platform.DecideRequest(p.rules, p.w, o, c, false, now)
				if out.State == "" {
					b.Fatal("no outcome")
				}
			}
		})
	}
}
