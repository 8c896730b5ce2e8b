package adapterstest

import (
	"time"

	"github.com/cancelsync/cancelsync/adapters"
)

// Fixture is one order of a platform's tests and the cancellation request on
// it. Its methods build the order in any status and the events and stored
// requests that name it, so that ids agree across a test file.
type Fixture struct {
	OrderID  string
	BuyerID  string
	SellerID string
	PlacedAt time.Time
	Total    adapters.Money
	// RequestID and Reason are those of the one cancellation request the
	// fixture's events are about.
	RequestID string
	Reason    string
}

// Order is the fixture's order in status, last updated when it was placed.
func (f Fixture) Order(status adapters.OrderStatus) adapters.Order {
	return adapters.Order{
		ID: f.OrderID, Status: status, PlacedAt: f.PlacedAt, UpdatedAt: f.PlacedAt,
		BuyerID: f.BuyerID, SellerID: f.SellerID, Total: f.Total,
	}
}

// Request is initiator's cancellation request, made at at.
func (f Fixture) Request(initiator adapters.Party, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationRequested, OrderID: f.OrderID, RequestID: f.RequestID,
		Initiator: initiator, Reason: f.Reason, OccurredAt: at,
	}
}

// Response is responder's decision on the request, made at at.
func (f Fixture) Response(responder adapters.Party, d adapters.Decision, at time.Time) adapters.Cancellation {
	return adapters.Cancellation{
		Type: adapters.CancellationResponded, OrderID: f.OrderID, RequestID: f.RequestID,
		Responder: responder, Decision: d, OccurredAt: at,
	}
}

// Stored is the request as the store holds it: made by initiator at at and
// standing at out.
func (f Fixture) Stored(initiator adapters.Party, at time.Time, out adapters.Outcome) adapters.Request {
	return adapters.Request{RequestID: f.RequestID, Initiator: initiator, Reason: f.Reason, OccurredAt: at, Outcome: out}
}

// Cancelled is the outcome of cancelling the order: its total paid back by
// method. It is spelled out rather than built with adapters.Cancel, so that a
// test does not check Cancel against itself.
func (f Fixture) Cancelled(method adapters.RefundMethod) adapters.Outcome {
	return adapters.Outcome{
		State:  adapters.Cancelled,
		Refund: &adapters.Refund{Method: method, Amount: f.Total.Amount, Currency: f.Total.Currency},
	}
}
