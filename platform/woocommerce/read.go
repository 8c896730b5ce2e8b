package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
)

// Reading orders back (docs/API.md §13): GET /orders/{id} for the live
// check and GET /orders?modified_after=… for the poll
// (developer.woocommerce.com/docs/apis/rest-api/v3/orders: "Retrieve an
// order", "List all orders" with modified_after, dates_are_gmt, per_page at
// most 100, page, orderby modified, order asc; X-WP-TotalPages). Each order
// is mapped by the webhook's own mapping, with the site URL as the
// webhook's X-WC-Webhook-Source.

const (
	listPerPage = 100
	// maxWaits bounds how many times one call is waited out and sent
	// again; minWait is the wait when the store names none.
	maxWaits = 20
	minWait  = time.Second
)

// reader reads a store's orders with the adapter's REST API keys.
type reader struct {
	c     *Client
	in    inbound
	site  http.Header // X-WC-Webhook-Source: the site URL
	sleep func(context.Context, time.Duration) error
}

var _ platform.Reader = (*reader)(nil)

func (r *reader) decode(raw json.RawMessage) (*platform.Order, error) {
	return r.in.decodeOrder(r.site, raw)
}

// Order reads one order; 404 is ErrOrderNotFound.
func (r *reader) Order(ctx context.Context, orderID string) (*platform.Order, error) {
	if !platform.Digits(orderID, maxIdent) {
		return nil, platform.ErrOrderNotFound
	}
	var raw json.RawMessage
	if _, err := r.c.get(ctx, apiPath+"/orders/"+orderID, &raw); err != nil {
		if isNotFound(err) {
			return nil, platform.ErrOrderNotFound
		}
		return nil, err
	}
	return r.decode(raw)
}

func isNotFound(err error) bool {
	var se *platform.SyncError
	return errors.As(err, &se) && !se.Retryable && strings.Contains(se.Msg, httpsync.StatusMsg(http.StatusNotFound))
}

// UpdatedSince pages through the orders modified at or after since,
// oldest first; 429 and 5xx are waited out (Retry-After, else a second)
// and the page asked for again.
func (r *reader) UpdatedSince(ctx context.Context, since time.Time, page func([]*platform.Order) error) error {
	q := url.Values{
		"modified_after": {since.UTC().Format("2006-01-02T15:04:05")},
		"dates_are_gmt":  {"true"},
		"per_page":       {strconv.Itoa(listPerPage)},
		"orderby":        {"modified"},
		"order":          {"asc"},
	}
	for n := 1; ; n++ {
		q.Set("page", strconv.Itoa(n))
		var raws []json.RawMessage
		h, err := r.patientGet(ctx, apiPath+"/orders?"+q.Encode(), &raws)
		if err != nil {
			return err
		}
		var out []*platform.Order
		for _, raw := range raws {
			o, err := r.decode(raw)
			if err != nil {
				// A draft, a trashed order or a status nobody mapped is
				// skipped, as its webhook would be ignored or refused.
				continue
			}
			out = append(out, o)
		}
		if err := page(out); err != nil {
			return err
		}
		pages, _ := strconv.Atoi(h.Get("X-WP-TotalPages"))
		if n >= pages || len(raws) < listPerPage {
			return nil
		}
	}
}

// patientGet is get, waiting out what is worth waiting out.
func (r *reader) patientGet(ctx context.Context, path string, out any) (http.Header, error) {
	for attempt := 0; ; attempt++ {
		h, err := r.c.get(ctx, path, out)
		var se *platform.SyncError
		if err == nil || !errors.As(err, &se) || !se.Retryable || attempt >= maxWaits {
			return h, err
		}
		if werr := r.sleep(ctx, max(se.RetryAfter, minWait)); werr != nil {
			return h, fmt.Errorf("%s; %w", se.Msg, werr)
		}
	}
}

// sleepCtx waits d, or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
