package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify/admingql"
)

// The order as the Admin GraphQL API gives it, with the fields the
// webhook mapping reads (shopify.dev/docs/api/admin-graphql/latest/objects/Order:
// legacyResourceId, createdAt, updatedAt, cancelledAt, displayFinancialStatus,
// displayFulfillmentStatus, currencyCode, totalPriceSet, customer, lineItems,
// fulfillments). An order's lines are a connection: the poll asks for
// pollLines of each order, and re-reads an order with more on its own.
const orderFields = `legacyResourceId createdAt updatedAt cancelledAt
    displayFinancialStatus displayFulfillmentStatus currencyCode
    totalPriceSet { shopMoney { amount currencyCode } }
    customer { legacyResourceId }
    fulfillments(first: 20) { status displayStatus createdAt }`

const (
	// orderLines is how many lines one order's read takes, pollLines
	// and pollPage what a page of the poll takes: a query's requested
	// cost stays under Shopify's 1,000-point ceiling (its connections
	// cost their first argument times their node's cost).
	orderLines = 100
	pollLines  = 20
	pollPage   = 10
)

func linesField(n int) string {
	return fmt.Sprintf(`lineItems(first: %d) { nodes { id sku quantity currentQuantity fulfillableQuantity variant { legacyResourceId } originalUnitPriceSet { shopMoney { amount } } } pageInfo { hasNextPage } }`, n)
}

// orderQuery is the order(id:) query (shopify.dev/docs/api/admin-graphql/latest/queries/order).
var orderQuery = `query Order($id: ID!) { order(id: $id) { ` + orderFields + ` ` + linesField(orderLines) + ` } }`

// ordersQuery is the orders connection, oldest update first
// (shopify.dev/docs/api/admin-graphql/latest/queries/orders: query,
// sortKey UPDATED_AT, first/after cursors, pageInfo).
var ordersQuery = `query Orders($first: Int!, $after: String, $query: String!) { orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { nodes { ` + orderFields + ` ` + linesField(pollLines) + ` } pageInfo { hasNextPage endCursor } } }`

// gqlOrder is one Order node as asked for above.
type gqlOrder struct {
	LegacyResourceID         string  `json:"legacyResourceId"`
	CreatedAt                string  `json:"createdAt"`
	UpdatedAt                string  `json:"updatedAt"`
	CancelledAt              *string `json:"cancelledAt"`
	DisplayFinancialStatus   *string `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus *string `json:"displayFulfillmentStatus"`
	CurrencyCode             string  `json:"currencyCode"`
	TotalPriceSet            struct {
		ShopMoney struct {
			Amount       string `json:"amount"`
			CurrencyCode string `json:"currencyCode"`
		} `json:"shopMoney"`
	} `json:"totalPriceSet"`
	Customer *struct {
		LegacyResourceID string `json:"legacyResourceId"`
	} `json:"customer"`
	Fulfillments []struct {
		Status        string  `json:"status"`
		DisplayStatus *string `json:"displayStatus"`
		CreatedAt     string  `json:"createdAt"`
	} `json:"fulfillments"`
	LineItems struct {
		Nodes []struct {
			ID              string  `json:"id"`
			SKU             *string `json:"sku"`
			Quantity        int     `json:"quantity"`
			CurrentQuantity *int    `json:"currentQuantity"`
			// FulfillableQuantity is what is left to fulfil; the mapping
			// counts the rest of currentQuantity as fulfilled, as it does
			// the webhook's fulfillable_quantity (docs/SHOPIFY.md).
			FulfillableQuantity *int `json:"fulfillableQuantity"`
			Variant             *struct {
				LegacyResourceID string `json:"legacyResourceId"`
			} `json:"variant"`
			OriginalUnitPriceSet struct {
				ShopMoney struct {
					Amount string `json:"amount"`
				} `json:"shopMoney"`
			} `json:"originalUnitPriceSet"`
		} `json:"nodes"`
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
	} `json:"lineItems"`
}

// wire is the order as its webhook would carry it, for mapOrder: the
// GraphQL enums in the REST spellings the mapping reads.
func (g *gqlOrder) wire() *orderWire {
	w := &orderWire{
		ID: gidDigits(g.LegacyResourceID), CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, CancelledAt: g.CancelledAt,
		Currency: g.CurrencyCode, TotalPrice: amount(g.TotalPriceSet.ShopMoney.Amount, g.CurrencyCode),
	}
	if s := g.DisplayFinancialStatus; s != nil {
		v := strings.ToLower(*s) // PAID → paid, PARTIALLY_REFUNDED → partially_refunded
		w.FinancialStatus = &v
	}
	if s := g.DisplayFulfillmentStatus; s != nil {
		var v string
		switch *s {
		case "FULFILLED":
			v = "fulfilled"
		case "PARTIALLY_FULFILLED":
			v = "partial"
		}
		if v != "" {
			w.FulfillmentStatus = &v
		}
	}
	if g.Customer != nil {
		w.Customer = &customerWire{ID: gidDigits(g.Customer.LegacyResourceID)}
	}
	for _, f := range g.Fulfillments {
		fw := fulfillmentWire{Status: strings.ToLower(f.Status), CreatedAt: f.CreatedAt}
		if f.DisplayStatus != nil && *f.DisplayStatus == "DELIVERED" {
			d := "delivered"
			fw.ShipmentStatus = &d
		}
		w.Fulfillments = append(w.Fulfillments, fw)
	}
	for _, li := range g.LineItems.Nodes {
		lw := lineItemWire{ID: gidDigits(li.ID), SKU: li.SKU, Quantity: json.Number(fmt.Sprint(li.Quantity)),
			Price: amount(li.OriginalUnitPriceSet.ShopMoney.Amount, g.CurrencyCode)}
		if li.CurrentQuantity != nil {
			n := json.Number(fmt.Sprint(*li.CurrentQuantity))
			lw.CurrentQuantity = &n
		}
		if li.FulfillableQuantity != nil {
			n := json.Number(fmt.Sprint(*li.FulfillableQuantity))
			lw.FulfillableQuantity = &n
		}
		if li.Variant != nil {
			lw.VariantID = variantOf(gidDigits(li.Variant.LegacyResourceID))
		}
		w.LineItems = append(w.LineItems, lw)
	}
	return w
}

// gidDigits is the digits of a legacy id or the tail of a GID
// ("gid://shopify/LineItem/866550311766439020").
func gidDigits(s string) id {
	s = s[strings.LastIndexByte(s, '/')+1:]
	if platform.Digits(s, 20) {
		return id{digits: s}
	}
	return id{}
}

// amount writes a GraphQL Decimal ("199.0") with the currency's decimals,
// as the webhooks do ("199.00").
func amount(s, currency string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return s
	}
	return r.FloatString(platform.MinorUnits(currency))
}

// reader reads a store's orders through the Admin GraphQL API.
type reader struct {
	g    *admingql.Client
	shop string
}

var _ platform.Reader = (*reader)(nil)

// Order reads one order with order(id:); a null order is ErrOrderNotFound.
func (r *reader) Order(ctx context.Context, orderID string) (*platform.Order, error) {
	return r.order(ctx, orderID, r.g.Do)
}

// order is Order sent with do: the client's Do, or its Patient for the
// poll, which waits out THROTTLED, 429 and 5xx (docs/API.md §13).
func (r *reader) order(ctx context.Context, orderID string, do func(context.Context, string, map[string]any, any) (admingql.Cost, error)) (*platform.Order, error) {
	if !platform.Digits(orderID, 20) {
		return nil, platform.ErrOrderNotFound
	}
	var data struct {
		Order *gqlOrder `json:"order"`
	}
	if _, err := do(ctx, orderQuery, map[string]any{"id": "gid://shopify/Order/" + orderID}, &data); err != nil {
		return nil, fmt.Errorf("order %s: %w", orderID, err)
	}
	if data.Order == nil {
		return nil, platform.ErrOrderNotFound
	}
	return mapOrder(data.Order.wire(), r.shop)
}

// UpdatedSince pages through orders(query: "updated_at:>=…") oldest
// update first. Before each page it waits until the bucket holds what the
// last page cost, so the poll leaves the rest of the budget to the
// cancellations; THROTTLED, 429 and 5xx are waited out and the page (or
// the re-read of an order with more lines than a page carries) asked for
// again.
func (r *reader) UpdatedSince(ctx context.Context, since time.Time, page func([]*platform.Order) error) error {
	q := "updated_at:>='" + since.UTC().Format(time.RFC3339) + "'"
	var after any
	for {
		var data struct {
			Orders struct {
				Nodes    []gqlOrder `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"orders"`
		}
		c, err := r.g.Patient(ctx, ordersQuery, map[string]any{"first": pollPage, "after": after, "query": q}, &data)
		if err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		var out []*platform.Order
		for i := range data.Orders.Nodes {
			n := &data.Orders.Nodes[i]
			var o *platform.Order
			if n.LineItems.PageInfo.HasNextPage {
				// More lines than the page carries: read on its own,
				// waited out like the page itself.
				o, err = r.order(ctx, gidDigits(n.LegacyResourceID).digits, r.g.Patient)
			} else {
				o, err = mapOrder(n.wire(), r.shop)
			}
			if err != nil {
				// One order the mapping refuses (as its webhook would be
				// refused) does not stop the others.
				var ve *platform.ValidationError
				if errors.As(err, &ve) || errors.Is(err, platform.ErrOrderNotFound) {
					continue
				}
				return err
			}
			out = append(out, o)
		}
		if err := page(out); err != nil {
			return err
		}
		if !data.Orders.PageInfo.HasNextPage {
			return nil
		}
		after = data.Orders.PageInfo.EndCursor
		if w := c.Wait(c.RequestedQueryCost); w > 0 {
			if err := r.g.Sleep(ctx, w); err != nil {
				return err
			}
		}
	}
}
