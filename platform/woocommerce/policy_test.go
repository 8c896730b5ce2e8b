package woocommerce_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

var (
	rules    = woocommerce.Platform.Rules
	defaults = woocommerce.Platform.Defaults
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(2 * time.Hour)
	due      = askedAt.Add(48 * time.Hour) // respond_by under the defaults
	fx       = platformtest.Fixture{
		OrderID: "727", BuyerID: "guest", SellerID: "example.com", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "29.35", Currency: "USD"},
		RequestID: "cr-9", Reason: "changed_mind",
	}
	paid      = fx.Order(platform.StatusPaid)
	refunded  = fx.Cancelled(platform.OriginalPayment)      // paid: the total back to the original payment
	unpaid    = platform.Outcome{State: platform.Cancelled} // never paid: refund null
	declined  = platform.Deny(platform.Declined)            // the merchant said no
	escalated = platform.Outcome{State: platform.Escalated} // the merchant said nothing
	withdrawn = platform.Outcome{State: platform.Withdrawn}
)

func pendingRequest() platform.Request {
	return fx.Stored(platform.Buyer, askedAt, platform.Pending(due))
}

func TestPlatform(t *testing.T) {
	t.Parallel()

	platformtest.CheckPlatform(t, woocommerce.Platform, "woocommerce", platform.Windows{ResponseWindow: 48 * time.Hour})
}

func TestRequest(t *testing.T) {
	t.Parallel()

	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rules, Defaults: defaults,
		Check: func(t *testing.T, got platform.Outcome) {
			if got.AffectsSellerStats {
				t.Error("affects_seller_stats is true; WooCommerce never sets it")
			}
			if got.State == platform.Cancelled && got.Refund != nil && got.Refund.Method != platform.OriginalPayment {
				t.Errorf("refund method %s, want original_payment", got.Refund.Method)
			}
		},
	}, []platformtest.RequestCase{
		{Name: "buyer, unpaid (pending/on-hold/failed): cancelled at once, nothing to refund", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), Want: unpaid},
		{Name: "buyer, unpaid, a month later: no window", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, placedAt.Add(30*24*time.Hour)), Want: unpaid},
		{Name: "buyer, paid (processing): waits for the merchant", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Want: platform.Pending(due)},
		{Name: "merchant, paid: cancelled and refunded", Order: paid, Request: fx.Request(platform.Merchant, askedAt), Want: refunded},
		{Name: "seller is the merchant", Order: paid, Request: fx.Request(platform.Seller, askedAt), Want: refunded},
		{Name: "merchant, unpaid: cancelled, nothing to refund", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Merchant, askedAt), Want: unpaid},

		{Name: "buyer, shipped (status_map)", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "merchant, delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "buyer, completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "merchant, completed", Order: fx.Order(platform.StatusCompleted), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "cancelled or refunded order", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: paid, Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
		{Name: "another request open, unpaid", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},

		{Name: "processed 1ns before respond_by", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "processed at respond_by: escalated", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Now: due, Want: escalated},
		{Name: "override 2h", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{ResponseWindow: 2 * time.Hour}, Want: platform.Pending(askedAt.Add(2 * time.Hour))},
		{Name: "zero window falls back to 48h", Order: paid, Request: fx.Request(platform.Buyer, askedAt), Windows: &platform.Windows{}, Want: platform.Pending(due)},
	})
}

func TestResponse(t *testing.T) {
	t.Parallel()

	soon := askedAt.Add(time.Hour)
	platformtest.RunResponseCases(t, rules, []platformtest.ResponseCase{
		{Name: "merchant accepts: cancelled and refunded", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: refunded},
		{Name: "seller accepts", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Seller, platform.Accept, soon), Want: refunded},
		{Name: "merchant declines: denied declined, no dispute", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Decline, soon), Want: declined},
		{Name: "accepted at respond_by", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Accept, due), Want: refunded},
		{Name: "accepted after the order went back to unpaid", Order: fx.Order(platform.StatusPlaced), Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: unpaid},
		{Name: "accepted after the order completed", Order: fx.Order(platform.StatusCompleted), Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: platform.Deny(platform.AlreadyDelivered)},

		{Name: "1ns after respond_by", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Merchant, platform.Accept, due.Add(1)), Want: platform.Pending(due), Ignored: platform.ResponseTooLate},
		{Name: "buyer answers own request", Order: paid, Request: pendingRequest(), Response: fx.Response(platform.Buyer, platform.Accept, soon), Want: platform.Pending(due), Ignored: platform.OwnSideResponse},
		{Name: "to a declined request", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, declined), Response: fx.Response(platform.Merchant, platform.Accept, soon), Want: declined, Ignored: platform.NotPending},
	})
}

func TestTimeout(t *testing.T) {
	t.Parallel()

	platformtest.RunTimeoutCases(t, rules, []platformtest.TimeoutCase{
		{Name: "1ns before respond_by", Order: paid, Request: pendingRequest(), Now: due.Add(-1), Want: platform.Pending(due)},
		{Name: "at respond_by: escalated, never refunded alone", Order: paid, Request: pendingRequest(), Now: due, Want: escalated, OK: true},
		{Name: "shipped meanwhile", Order: fx.Order(platform.StatusShipped), Request: pendingRequest(), Now: due, Want: platform.Deny(platform.AlreadyShipped), OK: true},
		{Name: "already withdrawn", Order: paid, Request: fx.Stored(platform.Buyer, askedAt, withdrawn), Now: due.Add(time.Hour), Want: withdrawn},
	})
}

func TestSettled(t *testing.T) {
	t.Parallel()

	platformtest.RunSettledCases(t, rules, fx, askedAt, []platform.Outcome{refunded, declined, escalated, withdrawn})
}

// TestRefundAfterCancel: what a cancellation decided on an unpaid order is
// owed when a newer snapshot shows the order in each status.
func TestRefundAfterCancel(t *testing.T) {
	t.Parallel()
	r := fx.Stored(platform.Buyer, askedAt, unpaid)
	for _, tc := range []struct {
		status platform.OrderStatus
		want   *platform.Refund
	}{
		{platform.StatusPaid, refunded.Refund}, // processing: paid at the gateway after all
		{platform.StatusPlaced, nil},
		{platform.StatusCancelled, nil}, // cancelled (our own status change) or refunded by the store
		{platform.StatusShipped, nil},   // the shipped-after-cancel conflict, not a refund
		{platform.StatusDelivered, nil},
		{platform.StatusCompleted, nil},
	} {
		got := woocommerce.Policy{}.RefundAfterCancel(fx.Order(tc.status), r)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: refund %+v, want %+v", tc.status, got, tc.want)
		}
		out, ok := platform.DecidePaidAfterCancel(rules, fx.Order(tc.status), r)
		if ok != (tc.want != nil) || ok && (out.State != platform.Cancelled || *out.Refund != *tc.want) {
			t.Errorf("%s: DecidePaidAfterCancel %+v %v", tc.status, out, ok)
		}
	}
	// A cancellation that carries its refund is owed nothing more.
	if _, ok := platform.DecidePaidAfterCancel(rules, paid, fx.Stored(platform.Merchant, askedAt, refunded)); ok {
		t.Error("a refunded cancellation got a second refund")
	}
}
