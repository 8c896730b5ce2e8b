package order

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// The events of the transition tables, as the adapters decode them.

// placed is when every snapshot's order was placed.
var placed = time.Now().UTC().Add(-time.Hour).Truncate(time.Second)

func snapshot(orderID string, status adapters.OrderStatus, updated time.Time) adapters.Event {
	o := &adapters.Order{ID: orderID, Status: status, PlacedAt: placed, UpdatedAt: updated, BuyerID: "b", SellerID: "s",
		Total: adapters.Money{Amount: "42.50", Currency: "USD"}}
	return adapters.Event{Type: adapters.OrderUpdated, Order: o}
}

func request(orderID, requestID string, who adapters.Party) adapters.Event {
	return adapters.Event{Type: adapters.CancellationRequested, Cancellation: &adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: orderID, RequestID: requestID, Initiator: who,
		Reason: "changed_mind", OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}

func respond(orderID, requestID string, who adapters.Party, d adapters.Decision) adapters.Event {
	return adapters.Event{Type: adapters.CancellationResponded, Cancellation: &adapters.Cancellation{
		Type: adapters.CancellationResponded, OrderID: orderID, RequestID: requestID, Responder: who, Decision: d,
		OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}

func withdraw(orderID, requestID string, who adapters.Party) adapters.Event {
	return adapters.Event{Type: adapters.CancellationWithdrawn, Cancellation: &adapters.Cancellation{
		Type: adapters.CancellationWithdrawn, OrderID: orderID, RequestID: requestID, Initiator: who,
		OccurredAt: time.Now().UTC().Truncate(time.Second),
	}}
}
