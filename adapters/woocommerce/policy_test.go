package woocommerce_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/woocommerce"
)

var (
	rules    = woocommerce.Platform.Rules
	defaults = woocommerce.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(2 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = adapterstest.Fixture{
		OrderID: "727", BuyerID: "guest", SellerID: "example.com", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "29.35", Currency: "USD"},
		RequestID: "cr-9", Reason: "changed_mind",
	}
	paid      = fx.Order(adapters.StatusPaid)
	refunded  = fx.Cancelled(adapters.OriginalPayment)      // paid: the total back to the original payment
	unpaid    = adapters.Outcome{State: adapters.Cancelled} // never paid: refund null
	declined  = adapters.Deny(adapters.Declined)            // the merchant said no
	escalated = adapters.Outcome{State: adapters.Escalated} // the merchant said nothing
	withdrawn = adapters.Outcome{State: adapters.Withdrawn}
)

func pendingRequest() adapters.Request {
	return fx.Stored(adapters.Buyer, askedAt, adapters.Pending(due))
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	adapterstest.CheckPlatform(t, woocommerce.Platform, "woocommerce", adapters.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rules, Defaults: defaults,
		Check: func(t *testing.T, got adapters.Outcome) {
			if got.AffectsSellerStats {
				t.Error("affects_seller_stats is true; WooCommerce never sets it")
			}
			if got.State == adapters.Cancelled && got.Refund != nil && got.Refund.Method != adapters.OriginalPayment {
				t.Errorf("refund method %s, want original_payment", got.Refund.Method)
			}
		},
	}, []adapterstest.RequestCase{
		{Name: "buyer, unpaid (pending/on-hold/failed): cancelled at once, nothing to refund", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), Want: unpaid},
		{Name: "buyer, unpaid, a month later: no window", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, placedAt.Add(30*24*time.Hour)), Want: unpaid},
		{Name: "buyer, paid (processing): waits for the merchant", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Pending(due)},
		{Name: "merchant, paid: cancelled and refunded", Order: paid, Request: fx.Request(adapters.Merchant, askedAt), Want: refunded},
		{Name: "seller is the merchant", Order: paid, Request: fx.Request(adapters.Seller, askedAt), Want: refunded},
		{Name: "merchant, unpaid: cancelled, nothing to refund", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Merchant, askedAt), Want: unpaid},

		{Name: "buyer, shipped (status_map)", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "merchant, delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "buyer, completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "merchant, completed", Order: fx.Order(adapters.StatusCompleted), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "cancelled or refunded order", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
		{Name: "another request open, unpaid", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "processed at respond_by: escalated", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Now: due, Want: escalated},
		{Name: "override 2h", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{ResponseWindow: 2 * time.Hour}, Want: adapters.Pending(askedAt.Add(2 * time.Hour))},
		{Name: "zero window falls back to 48h", Order: paid, Request: fx.Request(adapters.Buyer, askedAt), Windows: &adapters.Windows{}, Want: adapters.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	adapterstest.RunResponseCases(t, rules, []adapterstest.ResponseCase{
		{Name: "merchant accepts: cancelled and refunded", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: refunded},
		{Name: "seller accepts", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Seller, adapters.Accept, soon), Want: refunded},
		{Name: "merchant declines: denied declined, no dispute", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Decline, soon), Want: declined},
		{Name: "accepted at respond_by", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Accept, due), Want: refunded},
		{Name: "accepted after the order went back to unpaid", Order: fx.Order(adapters.StatusPlaced), Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: unpaid},
		{Name: "accepted after the order completed", Order: fx.Order(adapters.StatusCompleted), Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: adapters.Deny(adapters.AlreadyDelivered)},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Merchant, adapters.Accept, due.Add(1)), Want: adapters.Pending(due), Ignored: adapters.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(), Response: fx.Response(adapters.Buyer, adapters.Accept, soon), Want: adapters.Pending(due), Ignored: adapters.OwnSideResponse},
		{Name: "to a declined request", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, declined), Response: fx.Response(adapters.Merchant, adapters.Accept, soon), Want: declined, Ignored: adapters.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	adapterstest.RunTimeoutCases(t, rules, []adapterstest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pendingRequest(), Now: due.Add(-1), Want: adapters.Pending(due)},
		{Name: "at respond_by: escalated, never refunded alone", Order: paid, Request: pendingRequest(), Now: due, Want: escalated, OK: true},
		{Name: "shipped meanwhile", Order: fx.Order(adapters.StatusShipped), Request: pendingRequest(), Now: due, Want: adapters.Deny(adapters.AlreadyShipped), OK: true},
		{Name: "already withdrawn", Order: paid, Request: fx.Stored(adapters.Buyer, askedAt, withdrawn), Now: due.Add(time.Hour), Want: withdrawn},
	})
}

func TestSettled(t *testing.T) {
	t.Parallel()

	adapterstest.RunSettledCases(t, rules, fx, askedAt, []adapters.Outcome{refunded, declined, escalated, withdrawn})
}

// TestRefundAfterCancel: what a cancellation decided on an unpaid order is
// owed when a newer snapshot shows the order in each status.
func TestRefundAfterCancel(t *testing.T) {
	t.Parallel()
	r := fx.Stored(adapters.Buyer, askedAt, unpaid)
	for _, tc := range []struct {
		status adapters.OrderStatus
		want   *adapters.Refund
	}{
		{adapters.StatusPaid, refunded.Refund}, // processing: paid at the gateway after all
		{adapters.StatusPlaced, nil},
		{adapters.StatusCancelled, nil}, // cancelled (our own status change) or refunded by the store
		{adapters.StatusShipped, nil},   // the shipped-after-cancel conflict, not a refund
		{adapters.StatusDelivered, nil},
		{adapters.StatusCompleted, nil},
	} {
		got := woocommerce.Policy{}.RefundAfterCancel(fx.Order(tc.status), r)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: refund %+v, want %+v", tc.status, got, tc.want)
		}
		out, ok := adapters.DecidePaidAfterCancel(rules, fx.Order(tc.status), r)
		if ok != (tc.want != nil) || ok && (out.State != adapters.Cancelled || *out.Refund != *tc.want) {
			t.Errorf("%s: DecidePaidAfterCancel %+v %v", tc.status, out, ok)
		}
	}
	// A cancellation that carries its refund is owed nothing more.
	if _, ok := adapters.DecidePaidAfterCancel(rules, paid, fx.Stored(adapters.Merchant, askedAt, refunded)); ok {
		t.Error("a refunded cancellation got a second refund")
	}
}
