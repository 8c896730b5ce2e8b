package index

import (
	"strconv"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// retention is orderstore's DefaultRetention.
const retention = 90 * 24 * time.Hour

// oneRedis is orderstore's layout on one Redis: every index of an adapter
// in the adapter's tag.
type oneRedis struct{}

func (oneRedis) Tag(adapterID, _ string) string { return adapterID }
func (oneRedis) Tags(adapterID string) []string { return []string{adapterID} }
func (oneRedis) Cluster() bool                  { return false }
func (oneRedis) Key(tag, name string) string    { return "cancelsync:ix:{" + tag + "}:" + name }
func (l oneRedis) PartKey(tag, name, part string) string {
	return l.Key(tag, name) + ":" + strconv.Itoa(len(part)) + ":" + part
}

// The events the tests apply, as the adapters decode them.

// placed is when every snapshot's order was placed.
var placed = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

func snapshot(orderID string, status platform.OrderStatus, updated time.Time) platform.Event {
	o := &platform.Order{ID: orderID, Status: status, PlacedAt: placed, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
		Total: platform.Money{Amount: "42.50", Currency: "USD"}}
	return platform.Event{Type: platform.OrderUpdated, Order: o}
}

func request(orderID, requestID string, who platform.Party) platform.Event {
	return oldRequest(orderID, requestID, who, "changed_mind", time.Now().UTC().Truncate(time.Second))
}

// oldRequest is a request that occurred at at.
func oldRequest(orderID, requestID string, who platform.Party, reason string, at time.Time) platform.Event {
	return platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
		Type: platform.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: who,
		Reason: reason, OccurredAt: at,
	}}
}
