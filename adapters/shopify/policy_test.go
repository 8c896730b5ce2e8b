package shopify_test

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/adapterstest"
	"github.com/cancelsync/cancelsync/adapters/shopify"
)

var (
	placedAt = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	askedAt  = placedAt.Add(time.Minute)
	fx       = adapterstest.Fixture{
		OrderID: "820982911946154508", BuyerID: "115310627314723954", SellerID: "acme.myshopify.com", PlacedAt: placedAt,
		Total:     adapters.Money{Amount: "388.00", Currency: "USD"},
		RequestID: "sf-1", Reason: "changed_mind",
	}
	guest = adapterstest.Fixture{
		OrderID: fx.OrderID, BuyerID: shopify.Guest, SellerID: fx.SellerID, PlacedAt: placedAt,
		Total: fx.Total, RequestID: fx.RequestID, Reason: fx.Reason,
	}
	original = fx.Cancelled(adapters.OriginalPayment)
	credit   = fx.Cancelled(adapters.PlatformCredit)
)

func rulesFor(refund string) adapters.Rules {
	a, err := shopify.Platform.New(adapters.Settings{
		ID: "acme", Secrets: []string{"shpss_0123456789abcdef"},
		Block: adapters.BlockOf(map[string]any{"shop": "acme.myshopify.com", "policy.refund": refund}),
	})
	if err != nil {
		panic(err)
	}
	return a.Rules
}

func TestPlatform(t *testing.T) {
	t.Parallel()
	adapterstest.CheckPlatform(t, shopify.Platform, "shopify", adapters.Windows{})
}

func TestRequest(t *testing.T) {
	t.Parallel()
	window := &adapters.Windows{CancelWindow: time.Hour}
	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rulesFor(""), Defaults: shopify.Platform.Defaults, Lag: 365 * 24 * time.Hour, Check: adapterstest.NeverWaits,
	}, []adapterstest.RequestCase{
		{Name: "buyer, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Want: original},
		{Name: "buyer, placed", Order: fx.Order(adapters.StatusPlaced), Request: fx.Request(adapters.Buyer, askedAt), Want: original},
		{Name: "merchant, paid", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Merchant, askedAt), Want: original},
		{Name: "no default window: a month later", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(30*24*time.Hour)), Want: original},
		{Name: "cancel_window limits the buyer", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(2*time.Hour)), Windows: window, Want: adapters.Deny(adapters.WindowExpired)},
		{Name: "cancel_window edge is inside", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, placedAt.Add(time.Hour)), Windows: window, Want: original},
		{Name: "cancel_window does not limit the merchant", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Merchant, placedAt.Add(2*time.Hour)), Windows: window, Want: original},
		{Name: "shipped (also partially)", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "merchant, shipped", Order: fx.Order(adapters.StatusShipped), Request: fx.Request(adapters.Merchant, askedAt), Want: adapters.Deny(adapters.AlreadyShipped)},
		{Name: "delivered", Order: fx.Order(adapters.StatusDelivered), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyDelivered)},
		{Name: "cancelled in Shopify", Order: fx.Order(adapters.StatusCancelled), Request: fx.Request(adapters.Buyer, askedAt), Want: adapters.Deny(adapters.AlreadyCancelled)},
		{Name: "another request open", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), OtherOpen: true, Want: adapters.Deny(adapters.RequestOpen)},
	})
	adapterstest.RunRequestCases(t, adapterstest.RequestSetup{
		Rules: rulesFor("store_credit"), Defaults: shopify.Platform.Defaults, Lag: time.Minute, Check: adapterstest.NeverWaits,
	}, []adapterstest.RequestCase{
		{Name: "store_credit: buyer with an account", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Buyer, askedAt), Want: credit},
		{Name: "store_credit: merchant", Order: fx.Order(adapters.StatusPaid), Request: fx.Request(adapters.Merchant, askedAt), Want: credit},
		{Name: "store_credit: a guest falls back to the original payment", Order: guest.Order(adapters.StatusPaid), Request: guest.Request(adapters.Buyer, askedAt), Want: original},
	})
}

func TestResponseAndTimeout(t *testing.T) {
	t.Parallel()
	adapterstest.RunSettledCases(t, rulesFor(""), fx, askedAt, []adapters.Outcome{original, adapters.Deny(adapters.AlreadyShipped), {State: adapters.Withdrawn}})
}
