package v1api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
)

const (
	// maxIdleConnsPerHost lets a full worker pool reuse connections to one
	// platform instead of dialling anew (net/http's default is 2).
	maxIdleConnsPerHost = 64
	// maxSnippet is how much of an error response ends up in SyncError.Msg.
	maxSnippet = 200
	// maxDrain is how much of a response is read to keep its connection;
	// a longer body costs a new connection rather than unbounded reading.
	maxDrain = 64 << 10
)

// client pushes cancellation states to a v1 platform's API.
type client struct {
	base   string // api.base_url without its trailing slash
	token  string
	secret httpsync.Secrets // strings that must never appear in an error
	http   *http.Client
	now    func() time.Time
}

func newClient(api platform.API) *client {
	c := &client{
		base:   strings.TrimRight(api.BaseURL, "/"),
		token:  api.Token,
		http:   httpsync.NewClient(api.Timeout, newTransport()),
		now:    time.Now,
		secret: httpsync.NewSecrets(api),
	}
	return c
}

// newTransport is net/http's default transport with room for many idle
// connections to the one host an adapter talks to.
func newTransport() *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	t.MaxIdleConns = 0 // no global limit; the per-host one applies
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	return t
}

// updateWire is platform.Update as docs/API.md §5 puts it on the wire: absent
// values are null, not empty strings.
type updateWire struct {
	OrderID            string                 `json:"order_id"`
	RequestID          string                 `json:"request_id"`
	State              platform.State         `json:"state"`
	Version            int64                  `json:"version"`
	Reason             string                 `json:"reason"`
	DenialReason       *platform.DenialReason `json:"denial_reason"`
	RespondBy          *time.Time             `json:"respond_by"`
	Refund             *platform.Refund       `json:"refund"`
	AffectsSellerStats bool                   `json:"affects_seller_stats"`
	// Lines are the cancelled lines with their refunds, null for the
	// whole order.
	Lines []platform.Line `json:"lines"`
}

func toWire(u platform.Update) updateWire {
	w := updateWire{
		OrderID:            u.OrderID,
		RequestID:          u.RequestID,
		State:              u.State,
		Version:            u.Version,
		Reason:             u.Reason,
		Refund:             u.Refund,
		AffectsSellerStats: u.AffectsSellerStats,
		Lines:              u.Lines,
	}
	if u.DenialReason != "" {
		w.DenialReason = &u.DenialReason
	}
	if u.RespondBy != nil {
		t := u.RespondBy.UTC()
		w.RespondBy = &t
	}
	return w
}

// Push sends u with PUT {base_url}/orders/{order_id}/cancellation. Every
// failure is a *platform.SyncError; see classify for which are retried.
func (c *client) Push(ctx context.Context, idempotencyKey string, u platform.Update) error {
	if u.OrderID == "" {
		return &platform.SyncError{Msg: "update has no order_id"}
	}
	body, err := json.Marshal(toWire(u))
	if err != nil {
		return &platform.SyncError{Msg: "encode update: " + err.Error()}
	}
	path := "/orders/" + url.PathEscape(u.OrderID) + "/cancellation"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(body))
	if err != nil {
		// The error would quote base_url, which may carry credentials.
		return &platform.SyncError{Msg: "PUT " + path + ": invalid api.base_url"}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", idempotencyKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")

	resp, err := c.http.Do(req)
	if err != nil {
		return c.secret.TransportError("PUT "+path, c.http.Timeout, err)
	}
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := httpsync.StatusMsg(resp.StatusCode)
	if snippet := c.snippet(resp.Body); snippet != "" {
		msg += ": " + snippet
	}
	return &platform.SyncError{
		Retryable:  httpsync.Retryable(resp.StatusCode),
		RetryAfter: httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		Msg:        msg,
	}
}

// snippet returns the start of an error response, one line of printable
// text with credentials removed, for the operator reading the DLQ.
func (c *client) snippet(body io.Reader) string {
	// Read past maxSnippet by the longest secret, so that one which starts
	// inside the snippet is read whole and redacted rather than cut in two.
	limit := maxSnippet + c.secret.Longest()
	buf, _ := io.ReadAll(io.LimitReader(body, int64(limit)))
	s := c.secret.Redact(string(buf))
	if len(buf) == limit {
		// The read may have cut a secret short; drop what is left of it,
		// since collapsing whitespace below could pull it into the snippet.
		s = c.secret.DropCut(s)
	}
	return httpsync.OneLine(s, maxSnippet)
}
