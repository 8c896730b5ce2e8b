package shopify

import (
	"github.com/cancelsync/cancelsync/platform"
)

// Values of policy.refund.
const (
	refundOriginal    = "original_payment"
	refundStoreCredit = "store_credit"
)

// Guest is the buyer id of an order without a customer.
const Guest = "guest"

// Defaults has no windows: Shopify lets an unshipped order be cancelled at
// any time. policy.cancel_window, when set, limits the buyer.
func Defaults() platform.Windows { return platform.Windows{} }

// Policy is the Shopify rule. The shared checks have already denied a
// shipped (also partially shipped: Shopify refuses to cancel an order with
// fulfilments), delivered or cancelled order, so whatever reaches Request
// is unshipped and is cancelled at once.
//
// Who may request: buyer and merchant (the seller is the merchant).
type Policy struct {
	// StoreCredit refunds a buyer with an account in store credit rather
	// than to the original payment (policy.refund: store_credit).
	StoreCredit bool
}

var _ platform.Rules = Policy{}

func newRules(s platform.Settings) platform.Rules {
	return Policy{StoreCredit: configOf(s).refund == refundStoreCredit}
}

// DeliveredBlocks is true: a delivered order is past cancelling.
func (Policy) DeliveredBlocks() bool { return true }

// Request cancels at once. A buyer outside a configured cancel window is
// denied window_expired. Store credit needs a customer account, so a guest
// order is refunded to the original payment whatever the policy says; so
// is a request for some lines.
func (p Policy) Request(o platform.Order, c platform.Cancellation, w platform.Windows) platform.Outcome {
	if c.Initiator.Side() == platform.Buyer && w.CancelWindow > 0 && c.OccurredAt.Sub(o.PlacedAt) > w.CancelWindow {
		return platform.Deny(platform.WindowExpired)
	}
	// Some lines are refunded with Shopify's suggested refund, which goes
	// back to the original gateways, never to store credit: the outcome
	// says so (docs/SHOPIFY.md, "Cancelling some lines").
	if p.StoreCredit && o.BuyerID != Guest && o.BuyerID != "" && !o.SomeLines(c.Lines) {
		return platform.Cancel(o, platform.PlatformCredit)
	}
	return platform.Cancel(o, platform.OriginalPayment)
}

// Respond leaves r as it is: a Shopify request is never pending.
func (Policy) Respond(_ platform.Order, r platform.Request, _ platform.Decision) platform.Outcome {
	return r.Outcome
}

// Timeout leaves r as it is, for the same reason as Respond.
func (Policy) Timeout(_ platform.Order, r platform.Request) platform.Outcome {
	return r.Outcome
}
