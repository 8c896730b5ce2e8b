package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
)

const (
	// apiPath is the REST API's root under the site URL.
	apiPath = "/wp-json/wc/v3"
	// refundsPerPage and maxRefundPages bound the search for our marker:
	// 100 is the REST API's largest page.
	refundsPerPage = 100
	maxRefundPages = 20
	maxSnippet     = 200
	maxRead        = 1 << 20
)

// Client syncs states to a WooCommerce store through its REST API (v3),
// with Basic auth from the consumer key and secret. It is safe for
// concurrent use.
type Client struct {
	base   string // api.base_url without its trailing slash
	key    string
	secret string
	creds  httpsync.Secrets // never in an error
	http   *http.Client
	now    func() time.Time
}

var _ platform.Client = (*Client)(nil)

// NewClient talks to the store at api.BaseURL with the REST API's
// consumer key and secret.
func NewClient(api platform.API, consumerKey, consumerSecret string) *Client {
	return &Client{
		base:   strings.TrimRight(api.BaseURL, "/"),
		key:    consumerKey,
		secret: consumerSecret,
		creds:  httpsync.NewSecrets(api, platform.BasicCredentials(consumerKey, consumerSecret)...),
		http:   httpsync.NewClient(api.Timeout, nil),
		now:    time.Now,
	}
}

// RefundReason is the reason cancelsync writes on the refund it makes for
// a request, and looks for before making one.
func RefundReason(requestID string) string { return "cancelsync " + requestID }

// Push sends u. A cancellation sets the order's status to cancelled and,
// for a paid order (u.Refund set), refunds the total through the payment
// gateway once: WooCommerce takes no idempotency key, so the refunds of
// the order are searched for cancelsync's reason first, and a retry after
// a lost answer finds it and refunds nothing more. Refunds someone else
// made (the merchant, by hand) are subtracted: only what is left of the
// total is refunded, and a fully refunded order is left as it is. The
// refunds cancelsync made for earlier line cancellations are not: u.Refund
// already leaves them out (docs/WOOCOMMERCE.md, "Cancelling some lines").
// Every other state becomes an order note the customer sees.
func (c *Client) Push(ctx context.Context, _ string, u platform.Update) error {
	if !platform.Digits(u.OrderID, maxIdent) {
		return &platform.SyncError{Msg: fmt.Sprintf("order id %q is not a WooCommerce order id", truncate(u.OrderID, 32))}
	}
	order := apiPath + "/orders/" + u.OrderID
	if u.State != platform.Cancelled {
		return c.note(ctx, order, u)
	}
	if u.Lines != nil {
		return c.refundLines(ctx, order, u)
	}
	if u.Refund == nil {
		// Never paid: the status change is all.
		return c.call(ctx, http.MethodPut, order, map[string]any{"status": "cancelled"}, nil)
	}
	// The marker is written last, after the status: if it is there, a
	// previous attempt did everything (and WooCommerce may since have moved
	// the order on to "refunded", which a PUT would undo). What others
	// refunded already (the merchant by hand) is not refunded again.
	done, refunded, err := c.refunds(ctx, order, RefundReason(u.RequestID))
	if err != nil || done {
		return err
	}
	total, ok := new(big.Rat).SetString(u.Refund.Amount)
	if !ok {
		return &platform.SyncError{Msg: fmt.Sprintf("refund amount %q is not a decimal", truncate(u.Refund.Amount, 32))}
	}
	remaining := new(big.Rat).Sub(total, refunded)
	if remaining.Sign() <= 0 {
		return nil // refunded in full already: nothing left to do, and no status to undo
	}
	if err := c.call(ctx, http.MethodPut, order, map[string]any{"status": "cancelled"}, nil); err != nil {
		return err
	}
	amount := u.Refund.Amount
	if remaining.Cmp(total) < 0 {
		amount = remaining.FloatString(platform.MinorUnits(u.Refund.Currency))
	}
	return c.call(ctx, http.MethodPost, order+"/refunds", map[string]any{
		"amount": amount, "api_refund": true, "reason": RefundReason(u.RequestID),
	}, nil)
}

// refunds reads the order's refunds: done when one carries reason, and
// the sum of all of them but cancelsync's own line refunds (see
// isLineRefundReason), which the amount of a later cancellation already
// accounts for.
func (c *Client) refunds(ctx context.Context, order, reason string) (done bool, sum *big.Rat, err error) {
	sum = new(big.Rat)
	for page := 1; page <= maxRefundPages; page++ {
		var refunds []struct {
			Amount string `json:"amount"`
			Reason string `json:"reason"`
		}
		path := order + "/refunds?per_page=" + strconv.Itoa(refundsPerPage) + "&page=" + strconv.Itoa(page)
		h, err := c.get(ctx, path, &refunds)
		if err != nil {
			return false, nil, err
		}
		for _, r := range refunds {
			if strings.TrimSpace(r.Reason) == reason {
				return true, sum, nil
			}
			a, ok := new(big.Rat).SetString(strings.TrimSpace(r.Amount))
			if !ok {
				return false, nil, &platform.SyncError{Msg: fmt.Sprintf("GET %s/refunds: refund amount %q is not a decimal", order, truncate(r.Amount, 32))}
			}
			if !isLineRefundReason(r.Reason) {
				sum.Add(sum, a.Abs(a))
			}
		}
		pages, _ := strconv.Atoi(h.Get("X-WP-TotalPages"))
		if page >= pages || len(refunds) < refundsPerPage {
			return false, sum, nil
		}
	}
	return false, nil, &platform.SyncError{Msg: fmt.Sprintf("GET %s/refunds: more than %d refunds; refusing to refund without checking them all", order, maxRefundPages*refundsPerPage)}
}

// note posts the customer note for u, unless one with the same marker is
// already on the order (a retry after a lost answer).
func (c *Client) note(ctx context.Context, order string, u platform.Update) error {
	marker := fmt.Sprintf("[cancelsync %s v%d]", u.RequestID, u.Version)
	var notes []struct {
		Note string `json:"note"`
	}
	if _, err := c.get(ctx, order+"/notes?type=customer", &notes); err != nil {
		return err
	}
	for _, n := range notes {
		if strings.Contains(n.Note, marker) {
			return nil
		}
	}
	return c.call(ctx, http.MethodPost, order+"/notes", map[string]any{
		"note": NoteText(u) + " " + marker, "customer_note": true,
	}, nil)
}

// NoteText is what the customer reads about a state other than cancelled.
func NoteText(u platform.Update) string {
	switch u.State {
	case platform.PendingResponse:
		if u.RespondBy != nil {
			return "Your cancellation request was sent to the store, which answers by " + u.RespondBy.UTC().Format("2006-01-02 15:04 UTC") + "."
		}
		return "Your cancellation request was sent to the store."
	case platform.Denied:
		return "Your cancellation request was not granted: " + denialText(u.DenialReason) + "."
	case platform.Escalated:
		return "Your cancellation request was passed to the store's support team, who will contact you."
	case platform.Withdrawn:
		return "Your cancellation request was withdrawn."
	}
	return "Your cancellation request is now " + string(u.State) + "."
}

func denialText(r platform.DenialReason) string {
	switch r {
	case platform.AlreadyShipped:
		return "the order has already shipped"
	case platform.AlreadyDelivered:
		return "the order has already been delivered"
	case platform.AlreadyCancelled:
		return "the order is already cancelled"
	case platform.WindowExpired:
		return "the time to cancel has passed"
	case platform.OrderUnknown:
		return "the order could not be found"
	case platform.RequestOpen:
		return "another cancellation request for this order is still open"
	case platform.Declined:
		return "the store declined it"
	}
	return string(r)
}

func (c *Client) get(ctx context.Context, path string, out any) (http.Header, error) {
	var h http.Header
	err := c.call(ctx, http.MethodGet, path, nil, func(resp *http.Response, body []byte) error {
		h = resp.Header
		if err := json.Unmarshal(body, out); err != nil {
			return &platform.SyncError{Retryable: true, Msg: "GET " + stripQuery(path) + ": answer is not the expected JSON"}
		}
		return nil
	})
	return h, err
}

// call sends one request and classifies its answer: 2xx is success (then
// ok, when set, reads the body); 408, 429 and 5xx, timeouts and broken
// connections are retryable, honouring Retry-After; every other status
// (400, 401, 403, 404 among them) is permanent.
func (c *Client) call(ctx context.Context, method, path string, in any, ok func(*http.Response, []byte) error) error {
	what := method + " " + stripQuery(path)
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &platform.SyncError{Msg: what + ": " + err.Error()}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		// The error would quote base_url, which may carry credentials.
		return &platform.SyncError{Msg: what + ": invalid api.base_url"}
	}
	req.SetBasicAuth(c.key, c.secret)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.creds.TransportError(what, c.http.Timeout, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxRead))
	if err != nil {
		return c.creds.TransportError(what, c.http.Timeout, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if ok != nil {
			return ok(resp, raw)
		}
		return nil
	}
	msg := what + ": " + httpsync.StatusMsg(resp.StatusCode)
	if detail := c.detail(raw); detail != "" {
		msg += ": " + detail
	}
	return &platform.SyncError{
		Retryable:  httpsync.Retryable(resp.StatusCode),
		RetryAfter: httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		Msg:        msg,
	}
}

// detail is WooCommerce's own words for a failure: the message of its
// {"code","message","data"} error body, else the start of the body, one
// line of printable text without credentials.
func (c *Client) detail(raw []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	s := string(raw)
	if json.Unmarshal(raw, &e) == nil && e.Message != "" {
		s = e.Message
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
	}
	return httpsync.OneLine(c.creds.Redact(s), maxSnippet)
}

func stripQuery(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return p
}
