package order

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// The events of the transition tables, as the adapters decode them.

// placed is when every snapshot's order was placed.
var placed = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

func snapshot(orderID string, status platform.OrderStatus, updated time.Time) platform.Event {
	o := &platform.Order{ID: orderID, Status: status, PlacedAt: placed, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
		Total: platform.Money{Amount: "42.50", Currency: "USD"}}
	return platform.Event{Type: platform.OrderUpdated, Order: o}
}

func request(orderID, requestID string, who platform.Party) platform.Event {
	return platform.Event{Type: platform.CancellationRequested, Cancellation: &platform.Cancellation{
		Type: platform.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: who,
		Reason: "changed_mind", OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}

func respond(orderID, requestID string, who platform.Party, d platform.Decision) platform.Event {
	return platform.Event{Type: platform.CancellationResponded, Cancellation: &platform.Cancellation{
		Type: platform.CancellationResponded, OrderID: orderID, RequestID: requestID, Responder: who, Decision: d,
		OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}
