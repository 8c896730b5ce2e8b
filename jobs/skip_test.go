package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
)

// A state the platform takes no call for (a Shopify denial) is acknowledged
// as skipped: no request leaves, the view says skipped, and a later version
// of the order is still sent.
func TestSyncSkippedState(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	const ad = "t-shopify"
	b.deliver(t, ad, snapshot("7001", platform.StatusShipped, placed.Add(time.Minute)))
	b.deliver(t, ad, request("7001", "rq-1", platform.Buyer))
	v := b.waitState(t, ad, "7001", platform.Denied, order.SyncSkipped)
	if v.Sync.Version != 1 || v.Sync.LastError != nil {
		t.Errorf("sync = %+v", *v.Sync)
	}
	// The live check's order read goes out before the decision; no
	// orderCancel may follow it.
	for _, p := range b.platform.received() {
		if strings.Contains(p.Raw, "orderCancel") {
			t.Errorf("platform received an orderCancel for a skipped state: %s", p.Raw)
		}
	}
}

// The stored order keeps the buyer and seller ids the rules (Shopify's
// guest fallback) and the people's pages read.
func TestStoredOrderKeepsParties(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.deliver(t, "t-shopify", snapshot("7002", platform.StatusPaid, placed))
	var doc *order.Doc
	eventually(t, "stored snapshot", func() bool {
		d, err := b.store.Load(context.Background(), "t-shopify", "7002")
		doc = d
		return err == nil && d != nil && d.Order != nil
	})
	o := doc.Order.Domain("7002")
	if o.BuyerID != "b" || o.SellerID != "s" {
		t.Errorf("stored order parties = %q, %q; want b, s", o.BuyerID, o.SellerID)
	}
}
