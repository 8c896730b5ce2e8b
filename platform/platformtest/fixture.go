package platformtest

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Fixture is one order of a platform's tests and the cancellation request on
// it. Its methods build the order in any status and the events and stored
// requests that name it, so that ids agree across a test file.
type Fixture struct {
	OrderID  string
	BuyerID  string
	SellerID string
	PlacedAt time.Time
	Total    platform.Money
	// RequestID and Reason are those of the one cancellation request the
	// fixture's events are about.
	RequestID string
	Reason    string
}

// Order is the fixture's order in status, last updated when it was placed.
func (f Fixture) Order(status platform.OrderStatus) platform.Order {
	return platform.Order{
		ID: f.OrderID, Status: status, PlacedAt: f.PlacedAt, UpdatedAt: f.PlacedAt,
		BuyerID: f.BuyerID, SellerID: f.SellerID, Total: f.Total,
	}
}

// Request is initiator's cancellation request, made at at.
func (f Fixture) Request(initiator platform.Party, at time.Time) platform.Cancellation {
	return platform.Cancellation{
		Type: platform.CancellationRequested, OrderID: f.OrderID, RequestID: f.RequestID,
		Initiator: initiator, Reason: f.Reason, OccurredAt: at,
	}
}

// Response is responder's decision on the request, made at at.
func (f Fixture) Response(responder platform.Party, d platform.Decision, at time.Time) platform.Cancellation {
	return platform.Cancellation{
		Type: platform.CancellationResponded, OrderID: f.OrderID, RequestID: f.RequestID,
		Responder: responder, Decision: d, OccurredAt: at,
	}
}

// Stored is the request as the store holds it: made by initiator at at and
// standing at out.
func (f Fixture) Stored(initiator platform.Party, at time.Time, out platform.Outcome) platform.Request {
	return platform.Request{RequestID: f.RequestID, Initiator: initiator, Reason: f.Reason, OccurredAt: at, Outcome: out}
}

// Cancelled is the outcome of cancelling the order: its total paid back by
// method. It is spelled out rather than built with platform.Cancel, so that a
// test does not check Cancel against itself.
func (f Fixture) Cancelled(method platform.RefundMethod) platform.Outcome {
	return platform.Outcome{
		State:  platform.Cancelled,
		Refund: &platform.Refund{Method: method, Amount: f.Total.Amount, Currency: f.Total.Currency},
	}
}
