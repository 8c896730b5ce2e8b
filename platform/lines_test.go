package platform_test

import (
	"testing"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/platformtest"
)

// atOnce cancels every request that passes the shared checks, refunding the
// order (selfservice's and Shopify's rule, without their details).
type atOnce struct{}

func (atOnce) DeliveredBlocks() bool { return true }
func (atOnce) Request(o platform.Order, _ platform.Cancellation, _ platform.Windows) platform.Outcome {
	return platform.Cancel(o, platform.OriginalPayment)
}
func (atOnce) Respond(_ platform.Order, r platform.Request, _ platform.Decision) platform.Outcome {
	return r.Outcome
}
func (atOnce) Timeout(_ platform.Order, r platform.Request) platform.Outcome { return r.Outcome }

// unpaidAtOnce cancels without a refund (WooCommerce on an unpaid order).
type unpaidAtOnce struct{ atOnce }

func (unpaidAtOnce) Request(platform.Order, platform.Cancellation, platform.Windows) platform.Outcome {
	return platform.Outcome{State: platform.Cancelled}
}

// ordered is a three-line order: A 2 × 10.00, B 1 × 5.50, C 3 × 1.50.
func ordered(status platform.OrderStatus, total string, items ...platform.Item) platform.Order {
	o := fx.Order(status)
	o.Total = platform.Money{Amount: total, Currency: "USD"}
	if items == nil {
		items = []platform.Item{
			{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00"},
			{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"},
			{SKU: "C", LineID: "lc", Quantity: 3, Price: "1.50"},
		}
	}
	o.Items = items
	return o
}

func in(currency string, o platform.Order) platform.Order {
	o.Total.Currency = currency
	return o
}

func lines(pairs ...any) []platform.LineRequest {
	var out []platform.LineRequest
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, platform.LineRequest{LineID: pairs[i].(string), Quantity: pairs[i+1].(int)})
	}
	return out
}

// refunded is a cancelled request for lines, each refunded amounts[i].
func refunded(total, currency string, ls []platform.LineRequest, amounts ...string) platform.Outcome {
	out := platform.Outcome{State: platform.Cancelled, Refund: &platform.Refund{Method: platform.OriginalPayment, Amount: total, Currency: currency}}
	for i, l := range ls {
		out.Lines = append(out.Lines, platform.Line{LineID: l.LineID, Quantity: l.Quantity, RefundAmount: &amounts[i]})
	}
	return out
}

// asked is a request for ls standing at out, whose lines carry no refund.
func asked(out platform.Outcome, ls []platform.LineRequest) platform.Outcome {
	for _, l := range ls {
		out.Lines = append(out.Lines, platform.Line{LineID: l.LineID, Quantity: l.Quantity})
	}
	return out
}

func whole(amount, currency string) platform.Outcome {
	return platform.Outcome{State: platform.Cancelled, Refund: &platform.Refund{Method: platform.OriginalPayment, Amount: amount, Currency: currency}}
}

func TestDecideRequestLines(t *testing.T) {
	t.Parallel()

	partly := ordered(platform.StatusShipped, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Fulfilled: 2},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"},
		platform.Item{SKU: "C", LineID: "lc", Quantity: 3, Price: "1.50", Fulfilled: 1})
	afterOne := ordered(platform.StatusPaid, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Cancelled: 1, Refunded: "10.00"},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"},
		platform.Item{SKU: "C", LineID: "lc", Quantity: 3, Price: "1.50"})
	// Shopify took the unit cancelsync cancelled off the line already:
	// current_quantity 1 of 2.
	removed := ordered(platform.StatusPaid, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 1, Removed: 1, Price: "10.00", Cancelled: 1, Refunded: "10.00"},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"})
	lastLeft := ordered(platform.StatusPaid, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Cancelled: 2, Refunded: "20.00"},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"},
		platform.Item{SKU: "C", LineID: "lc", Quantity: 3, Price: "1.50", Cancelled: 1, Refunded: "1.50"})
	noID := ordered(platform.StatusPaid, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00"},
		platform.Item{SKU: "GIFT", Quantity: 1, Price: "0.00"})
	// A coupon took 20.00 off: line prices add up to more than the total.
	discounted := ordered(platform.StatusPaid, "10.00")
	discountedAfter := ordered(platform.StatusPaid, "10.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Cancelled: 1, Refunded: "10.00"},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"})
	yen := in("JPY", ordered(platform.StatusPaid, "5000",
		platform.Item{SKU: "T", LineID: "lt", Quantity: 3, Price: "1299"},
		platform.Item{SKU: "U", LineID: "lu", Quantity: 1, Price: "1103"}))
	// WooCommerce's price is line total / quantity.
	thirds := ordered(platform.StatusPaid, "10.00",
		platform.Item{SKU: "P", LineID: "lp", Quantity: 3, Price: "3.3333333333333335"},
		platform.Item{SKU: "Q", LineID: "lq", Quantity: 1, Price: "0.125"})
	dinar := in("KWD", ordered(platform.StatusPaid, "9.000",
		platform.Item{SKU: "K", LineID: "lk", Quantity: 2, Price: "1.2345"},
		platform.Item{SKU: "L", LineID: "ll", Quantity: 1, Price: "2"}))

	tests := []struct {
		name      string
		rules     platform.Rules
		order     platform.Order
		lines     []platform.LineRequest
		otherOpen bool
		want      platform.Outcome
	}{
		{name: "one unit of one line", order: ordered(platform.StatusPaid, "30.00"), lines: lines("la", 1), want: refunded("10.00", "USD", lines("la", 1), "10.00")},
		{name: "two lines", order: ordered(platform.StatusPaid, "30.00"), lines: lines("lc", 2, "lb", 1), want: refunded("8.50", "USD", lines("lc", 2, "lb", 1), "3.00", "5.50")},
		{name: "placed order", order: ordered(platform.StatusPlaced, "30.00"), lines: lines("la", 2), want: refunded("20.00", "USD", lines("la", 2), "20.00")},
		{name: "more than the line has", order: ordered(platform.StatusPaid, "30.00"), lines: lines("la", 3), want: asked(platform.Deny(platform.AlreadyShipped), lines("la", 3))},
		{name: "one line over denies them all", order: ordered(platform.StatusPaid, "30.00"), lines: lines("lb", 1, "lc", 4), want: asked(platform.Deny(platform.AlreadyShipped), lines("lb", 1, "lc", 4))},
		{name: "unknown line", order: ordered(platform.StatusPaid, "30.00"), lines: lines("lz", 1), want: asked(platform.Deny(platform.AlreadyShipped), lines("lz", 1))},
		{name: "a line without an id cannot be asked for", order: noID, lines: lines("GIFT", 1), want: asked(platform.Deny(platform.AlreadyShipped), lines("GIFT", 1))},

		{name: "partly shipped: unfulfilled line", order: partly, lines: lines("lb", 1), want: refunded("5.50", "USD", lines("lb", 1), "5.50")},
		{name: "partly shipped: unfulfilled units of a partly fulfilled line", order: partly, lines: lines("lc", 2), want: refunded("3.00", "USD", lines("lc", 2), "3.00")},
		{name: "partly shipped: a fulfilled unit", order: partly, lines: lines("lc", 3), want: asked(platform.Deny(platform.AlreadyShipped), lines("lc", 3))},
		{name: "partly shipped: a fulfilled line", order: partly, lines: lines("la", 1), want: asked(platform.Deny(platform.AlreadyShipped), lines("la", 1))},
		{name: "partly shipped: every unfulfilled unit stays lines", order: partly, lines: lines("lb", 1, "lc", 2), want: refunded("8.50", "USD", lines("lb", 1, "lc", 2), "5.50", "3.00")},
		{name: "partly shipped: the whole order is denied", order: partly, want: platform.Deny(platform.AlreadyShipped)},
		{name: "shipped, no line says what: denied", order: ordered(platform.StatusShipped, "30.00"), lines: lines("lb", 1), want: asked(platform.Deny(platform.AlreadyShipped), lines("lb", 1))},
		{name: "delivered", order: ordered(platform.StatusDelivered, "30.00"), lines: lines("lb", 1), want: asked(platform.Deny(platform.AlreadyDelivered), lines("lb", 1))},
		{name: "cancelled beats over-quantity", order: ordered(platform.StatusCancelled, "30.00"), lines: lines("la", 9), want: asked(platform.Deny(platform.AlreadyCancelled), lines("la", 9))},
		{name: "request_open beats over-quantity", order: ordered(platform.StatusPaid, "30.00"), lines: lines("la", 9), otherOpen: true, want: asked(platform.Deny(platform.RequestOpen), lines("la", 9))},

		{name: "repeated: the unit already cancelled", order: afterOne, lines: lines("la", 2), want: asked(platform.Deny(platform.AlreadyShipped), lines("la", 2))},
		{name: "repeated: the unit left", order: afterOne, lines: lines("la", 1), want: refunded("10.00", "USD", lines("la", 1), "10.00")},
		{name: "repeated: removed by the platform is not counted twice", order: removed, lines: lines("la", 1), want: refunded("10.00", "USD", lines("la", 1), "10.00")},
		{name: "repeated: removed, nothing more", order: removed, lines: lines("la", 2), want: asked(platform.Deny(platform.AlreadyShipped), lines("la", 2))},

		{name: "every unit at once is the whole order", order: ordered(platform.StatusPaid, "30.00"), lines: lines("lc", 3, "la", 2, "lb", 1), want: whole("30.00", "USD")},
		{name: "the last open units are the whole order: what is left", order: lastLeft, lines: lines("lb", 1, "lc", 2), want: whole("8.50", "USD")},
		{name: "the whole order after lines: what is left", order: lastLeft, want: whole("8.50", "USD")},
		{name: "all lines with ids, one without: still lines", order: noID, lines: lines("la", 2), want: refunded("20.00", "USD", lines("la", 2), "20.00")},

		{name: "refund capped at the total", order: discounted, lines: lines("la", 2), want: refunded("10.00", "USD", lines("la", 2), "10.00")},
		{name: "refund capped: later lines get what is left", order: discounted, lines: lines("lb", 1, "la", 1), want: refunded("10.00", "USD", lines("lb", 1, "la", 1), "5.50", "4.50")},
		{name: "refund capped after an earlier refund", order: discountedAfter, lines: lines("lb", 1), want: refunded("0.00", "USD", lines("lb", 1), "0.00")},
		{name: "JPY: no decimals", order: yen, lines: lines("lt", 2), want: refunded("2598", "JPY", lines("lt", 2), "2598")},
		{name: "JPY: capped at the total", order: yen, lines: lines("lt", 3), want: refunded("3897", "JPY", lines("lt", 3), "3897")},
		{name: "USD: a fractional price rounds per line", order: thirds, lines: lines("lp", 3), want: refunded("10.00", "USD", lines("lp", 3), "10.00")},
		{name: "USD: half a cent rounds away from zero", order: thirds, lines: lines("lq", 1, "lp", 1), want: refunded("3.46", "USD", lines("lq", 1, "lp", 1), "0.13", "3.33")},
		{name: "KWD: three decimals", order: dinar, lines: lines("lk", 2), want: refunded("2.469", "KWD", lines("lk", 2), "2.469")},

		{name: "cancelled without a refund: lines carry none", rules: unpaidAtOnce{}, order: ordered(platform.StatusPlaced, "30.00"), lines: lines("la", 1), want: asked(platform.Outcome{State: platform.Cancelled}, lines("la", 1))},
		{name: "pending: lines carry no refund yet", rules: fakeRules{deliveredBlocks: true}, order: ordered(platform.StatusPaid, "30.00"), lines: lines("la", 1), want: asked(platform.Pending(due), lines("la", 1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			rules := tt.rules
			if rules == nil {
				rules = atOnce{}
			}
			c := fx.Request(platform.Buyer, askedAt)
			c.Lines = tt.lines
			got := platform.DecideRequest(rules, windows, tt.order, c, tt.otherOpen, askedAt)
			if g, w := platformtest.Wire(t, got), platformtest.Wire(t, tt.want); g != w {
				t.Errorf("got %s\nwant %s", g, w)
			}
		})
	}
}

// A pending request for lines is decided on the order as it is when the
// answer or the deadline comes: units fulfilled meanwhile deny it.
func TestDecideLinesLater(t *testing.T) {
	t.Parallel()

	ls := lines("la", 1)
	req := fx.Stored(platform.Buyer, askedAt, asked(platform.Pending(due), ls))
	paidNow := ordered(platform.StatusPaid, "30.00")
	shippedNow := ordered(platform.StatusShipped, "30.00",
		platform.Item{SKU: "A", LineID: "la", Quantity: 2, Price: "10.00", Fulfilled: 2},
		platform.Item{SKU: "B", LineID: "lb", Quantity: 1, Price: "5.50"})
	accept := fx.Response(platform.Seller, platform.Accept, askedAt)

	cases := []struct {
		name string
		got  platform.Outcome
		want platform.Outcome
	}{
		{"accepted", first(platform.DecideResponse(fakeRules{}, paidNow, req, accept)), refunded("10.00", "USD", ls, "10.00")},
		{"accepted after the line shipped", first(platform.DecideResponse(fakeRules{}, shippedNow, req, accept)), asked(platform.Deny(platform.AlreadyShipped), ls)},
		{"declined", first(platform.DecideResponse(fakeRules{}, paidNow, req, fx.Response(platform.Seller, platform.Decline, askedAt))), asked(escalate, ls)},
		{"deadline", first(platform.DecideTimeout(fakeRules{}, paidNow, req, due)), asked(escalate, ls)},
		{"deadline after the line shipped", first(platform.DecideTimeout(fakeRules{}, shippedNow, req, due)), asked(platform.Deny(platform.AlreadyShipped), ls)},
		{"cancelled on the platform", first(platform.DecidePlatformCancel(fakeRules{}, ordered(platform.StatusCancelled, "30.00"), req)), refunded("10.00", "USD", ls, "10.00")},
	}
	for _, c := range cases {
		if g, w := platformtest.Wire(t, c.got), platformtest.Wire(t, c.want); g != w {
			t.Errorf("%s: got %s\nwant %s", c.name, g, w)
		}
	}
}

func first[T any, U any](a T, _ U) T { return a }

func TestCheckLines(t *testing.T) {
	t.Parallel()

	many := make([]platform.LineRequest, platform.MaxLines+1)
	for i := range many {
		many[i] = platform.LineRequest{LineID: "l" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Quantity: 1}
	}
	tests := []struct {
		name  string
		lines []platform.LineRequest
		want  string
	}{
		{"none", []platform.LineRequest{}, "data.lines"},
		{"too many", many, "data.lines"},
		{"no id", lines("", 1), "data.lines[0].line_id"},
		{"bad id", lines("a/b", 1), "data.lines[0].line_id"},
		{"repeated", lines("a", 1, "a", 2), "data.lines[1].line_id"},
		{"zero", lines("a", 1, "b", 0), "data.lines[1].quantity"},
		{"ok", lines("a", 1, "b", 100), ""},
		{"100 lines", many[:100], ""},
	}
	for _, tt := range tests {
		errs := platform.CheckLines("data.lines", tt.lines)
		got := ""
		if len(errs) > 0 {
			got = errs[0].Field
		}
		if got != tt.want || len(errs) > 1 {
			t.Errorf("%s: got %v, want field %q", tt.name, errs, tt.want)
		}
	}
}

// latePaid owes the order's total to a cancellation made unpaid once the
// order shows paid (WooCommerce's RefundAfterCancel).
type latePaid struct{ unpaidAtOnce }

func (latePaid) RefundAfterCancel(o platform.Order, _ platform.Request) *platform.Refund {
	if o.Status != platform.StatusPaid {
		return nil
	}
	return platform.Cancel(o, platform.OriginalPayment).Refund
}

// A line cancellation made while the order was unpaid, then paid after
// all, is owed its lines' price, not the order's total, and stays a
// cancellation of those lines (docs/API.md, "Cancelling some lines").
func TestDecidePaidAfterLineCancel(t *testing.T) {
	t.Parallel()

	ls := lines("la", 1, "lc", 2)
	req := fx.Stored(platform.Buyer, askedAt, asked(platform.Outcome{State: platform.Cancelled}, ls))
	out, ok := platform.DecidePaidAfterCancel(latePaid{}, ordered(platform.StatusPaid, "30.00"), req)
	if !ok {
		t.Fatal("nothing owed")
	}
	if g, w := platformtest.Wire(t, out), platformtest.Wire(t, refunded("13.00", "USD", ls, "10.00", "3.00")); g != w {
		t.Errorf("got %s\nwant %s", g, w)
	}
	// All of the order's lines: the whole order, refunded in full.
	all := lines("la", 2, "lb", 1, "lc", 3)
	req = fx.Stored(platform.Buyer, askedAt, asked(platform.Outcome{State: platform.Cancelled}, all))
	out, _ = platform.DecidePaidAfterCancel(latePaid{}, ordered(platform.StatusPaid, "30.00"), req)
	if g, w := platformtest.Wire(t, out), platformtest.Wire(t, whole("30.00", "USD")); g != w {
		t.Errorf("whole: got %s\nwant %s", g, w)
	}
}
