package shopify_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
	"github.com/cancelsync/cancelsync/platform/shopify"
)

var (
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Minute)
	fx       = platformtest.Fixture{
		OrderID: "820982911946154508", BuyerID: "115310627314723954", SellerID: "acme.myshopify.com", PlacedAt: placedAt,
		Total:     platform.Money{Amount: "388.00", Currency: "USD"},
		RequestID: "sf-1", Reason: "changed_mind",
	}
	guest = platformtest.Fixture{
		OrderID: fx.OrderID, BuyerID: shopify.Guest, SellerID: fx.SellerID, PlacedAt: placedAt,
		Total: fx.Total, RequestID: fx.RequestID, Reason: fx.Reason,
	}
	original = fx.Cancelled(platform.OriginalPayment)
	credit   = fx.Cancelled(platform.PlatformCredit)
)

func rulesFor(refund string) platform.Rules {
	a, err := shopify.Platform.New(platform.Settings{
		ID: "acme", Secrets: []string{"shpss_0123456789abcdef"},
		Block: platform.BlockOf(map[string]any{"shop": "acme.myshopify.com", "policy.refund": refund}),
	})
	if err != nil {
		panic(err)
	}
	return a.Rules
}

func TestPlatform(t *testing.T) {
	t.Parallel()
	platformtest.CheckPlatform(t, shopify.Platform, "shopify", platform.Windows{})
}

func TestRequest(t *testing.T) {
	t.Parallel()
	window := &platform.Windows{CancelWindow: time.Hour}
	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rulesFor(""), Defaults: shopify.Platform.Defaults, Lag: 365 * 24 * time.Hour, Check: platformtest.NeverWaits,
	}, []platformtest.RequestCase{
		{Name: "buyer, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Want: original},
		{Name: "buyer, placed", Order: fx.Order(platform.StatusPlaced), Request: fx.Request(platform.Buyer, askedAt), Want: original},
		{Name: "merchant, paid", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Merchant, askedAt), Want: original},
		{Name: "no default window: a month later", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(30*24*time.Hour)), Want: original},
		{Name: "cancel_window limits the buyer", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(2*time.Hour)), Windows: window, Want: platform.Deny(platform.WindowExpired)},
		{Name: "cancel_window edge is inside", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, placedAt.Add(time.Hour)), Windows: window, Want: original},
		{Name: "cancel_window does not limit the merchant", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Merchant, placedAt.Add(2*time.Hour)), Windows: window, Want: original},
		{Name: "shipped (also partially)", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(platform.StatusShipped), Request: fx.Request(platform.Merchant, askedAt), Want: platform.Deny(platform.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(platform.StatusDelivered), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyDelivered)},
		{Name: "cancelled in Shopify", Order: fx.Order(platform.StatusCancelled), Request: fx.Request(platform.Buyer, askedAt), Want: platform.Deny(platform.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), OtherOpen: true, Want: platform.Deny(platform.RequestOpen)},
	})
	platformtest.RunRequestCases(t, platformtest.RequestSetup{
		Rules: rulesFor("store_credit"), Defaults: shopify.Platform.Defaults, Lag: time.Minute, Check: platformtest.NeverWaits,
	}, []platformtest.RequestCase{
		{Name: "store_credit: buyer with an account", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Buyer, askedAt), Want: credit},
		{Name: "store_credit: merchant", Order: fx.Order(platform.StatusPaid), Request: fx.Request(platform.Merchant, askedAt), Want: credit},
		{Name: "store_credit: a guest falls back to the original payment", Order: guest.Order(platform.StatusPaid), Request: guest.Request(platform.Buyer, askedAt), Want: original},
	})
}

func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()
	platformtest.RunSettledCases(t, rulesFor(""), fx, askedAt, []platform.Outcome{original, platform.Deny(platform.AlreadyShipped), {State: platform.Withdrawn}})
}

// store_credit and lines: Shopify's refund of some lines goes back to the
// original gateways (refundLines refunds the suggested transactions), so
// the outcome says original_payment; lines that are the whole order are a
// whole-order cancellation, refunded in store credit.
func TestStoreCreditLines(t *testing.T) {
	t.Parallel()
	o := fx.Order(platform.StatusPaid)
	o.Items = []platform.Item{
		{SKU: "A", LineID: "1001", Quantity: 2, Price: "150.00"},
		{SKU: "B", LineID: "1002", Quantity: 1, Price: "88.00"},
	}
	rules := rulesFor("store_credit")
	c := fx.Request(platform.Buyer, askedAt)
	c.Lines = []platform.LineRequest{{LineID: "1002", Quantity: 1}}
	out := platform.DecideRequest(rules, platform.Windows{}, o, c, false, askedAt)
	if out.State != platform.Cancelled || out.Lines == nil || out.Refund == nil ||
		out.Refund.Method != platform.OriginalPayment || out.Refund.Amount != "88.00" {
		t.Fatalf("some lines: %s", platformtest.Wire(t, out))
	}
	c.Lines = []platform.LineRequest{{LineID: "1001", Quantity: 2}, {LineID: "1002", Quantity: 1}}
	out = platform.DecideRequest(rules, platform.Windows{}, o, c, false, askedAt)
	if out.State != platform.Cancelled || out.Lines != nil || out.Refund == nil || out.Refund.Method != platform.PlatformCredit {
		t.Fatalf("every line: %s", platformtest.Wire(t, out))
	}
}
