// Package ordertest holds the events the tests of the order document's
// users apply, as the adapters decode them, and the stored order the
// store's benchmarks start from. (Package order's own tests keep a copy:
// they cannot import this package, which imports order.)
package ordertest

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// Placed is when every snapshot's order was placed.
var Placed = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

// Snapshot is an order.updated delivery of orderID in status, last
// updated at updated.
func Snapshot(orderID string, status platform.OrderStatus, updated time.Time) platform.Event {
	o := &platform.Order{ID: orderID, Status: status, PlacedAt: Placed, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
		Total: platform.Money{Amount: "42.50", Currency: "USD"}}
	return platform.Event{Type: platform.OrderUpdated, Order: o}
}

// Request is a cancellation request by who, for changed_mind, that
// occurred now.
func Request(orderID, requestID string, who platform.Party) platform.Event {
	return OldRequest(orderID, requestID, who, "changed_mind", time.Now().UTC().Truncate(time.Second))
}

// OldRequest is a request that occurred at at.
func OldRequest(orderID, requestID string, who platform.Party, reason string, at time.Time) platform.Event {
	return platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
		Type: platform.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: who,
		Reason: reason, OccurredAt: at,
	}}
}

// BenchDoc is an order ("o-1") as stored after its snapshot, in JSON (as
// the previous release stores it; order.DecodeDoc and AppendEncoded give
// it in another format), the self-service adapter it is of, and a buyer's
// request for it.
func BenchDoc(b testing.TB) (raw []byte, ad *platform.Adapter, req platform.Event) {
	b.Helper()
	ad = &platform.Adapter{ID: "bench-self", Platform: "selfservice", Rules: selfservice.Policy{}}
	now := time.Now().UTC()
	doc := &order.Doc{}
	tr := &order.Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w-snap", now, Snapshot("o-1", platform.StatusPaid, Placed))
	raw, err := doc.AppendEncoded(nil, order.FormatJSON)
	if err != nil {
		b.Fatal(err)
	}
	return raw, ad, Request("o-1", "cr-1", platform.Buyer)
}
