package jobs

import (
	"context"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
)

// TestTypicalLineDocumentIsSmall: a three-line order with realistic SKUs
// and line ids, one of whose lines a decided, synced request cancelled,
// stays under the same 1 KiB as TestTypicalDocumentIsSmall's order.
func TestTypicalLineDocumentIsSmall(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noServer: true, real: true})
	ev := snapshot("5531467923585", platform.StatusPaid, placed)
	ev.Order.Total.Amount = "97.40"
	ev.Order.Items = []platform.Item{
		{SKU: "JKT-NAVY-M", LineID: "13562204995713", Quantity: 1, Price: "59.90"},
		{SKU: "TEE-WHT-L", LineID: "13562204995714", Quantity: 2, Price: "12.50"},
		{SKU: "SOCK-3PK", LineID: "13562204995715", Quantity: 1, Price: "12.50", Fulfilled: 0},
	}
	b.runEventOK(t, "t-selfservice", ev)
	req := request("5531467923585", "sf-9x3kq2m7c4", platform.Buyer)
	req.Cancellation.Lines = []platform.LineRequest{{LineID: "13562204995714", Quantity: 1}}
	b.runEventOK(t, "t-selfservice", req)
	raw, err := b.rdb.Get(context.Background(), orderKey("t-selfservice", "5531467923585")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) >= 1024 {
		t.Fatalf("document is %d bytes: %s", len(raw), raw)
	}
	t.Logf("document: %d bytes: %s", len(raw), raw)
}
