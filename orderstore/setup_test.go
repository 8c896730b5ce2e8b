package orderstore

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// The events the store's tests apply, as the adapters decode them.

// placed is when every snapshot's order was placed.
var placed = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

func snapshot(orderID string, status adapters.OrderStatus, updated time.Time) adapters.Event {
	o := &adapters.Order{ID: orderID, Status: status, PlacedAt: placed, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
		Total: adapters.Money{Amount: "42.50", Currency: "USD"}}
	return adapters.Event{Type: adapters.OrderUpdated, Order: o}
}

func request(orderID, requestID string, who adapters.Party) adapters.Event {
	return oldRequest(orderID, requestID, who, "changed_mind", time.Now().UTC().Truncate(time.Second))
}

// oldRequest is a request that occurred at at.
func oldRequest(orderID, requestID string, who adapters.Party, reason string, at time.Time) adapters.Event {
	return adapters.Event{Type: adapters.CancellationRequested, Cancellation: &adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: who,
		Reason: reason, OccurredAt: at,
	}}
}
