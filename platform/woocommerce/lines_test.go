package woocommerce_test

import (
	"bytes"
	"testing"

	"github.com/cancelsync/cancelsync/platform"
)

// TestDecodeLineFulfilment: every line of the docs' order has its id;
// WooCommerce counts no fulfilled units per line, so a completed order's
// lines are all fulfilled and any other order's none.
func TestDecodeLineFulfilment(t *testing.T) {
	t.Parallel()
	in := endpoints(t, nil)[platform.KindOrders]
	for status, want := range map[string][2]int{`"processing"`: {0, 0}, `"completed"`: {2, 1}, `"on-hold"`: {0, 0}} {
		body := bytes.Replace(docOrder(t), []byte(`"status": "processing"`), []byte(`"status": `+status), 1)
		ev, err := in.Decode(platform.KindOrders, headers("order.updated"), body)
		if err != nil {
			t.Fatal(err)
		}
		its := ev.Order.Items
		if its[0].LineID != "315" || its[1].LineID != "316" || its[0].Fulfilled != want[0] || its[1].Fulfilled != want[1] {
			t.Errorf("%s: items %+v", status, its)
		}
	}
}
