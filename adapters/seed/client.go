package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/adapters"
)

const (
	// defaultTimeout bounds a push when the config gives no api.timeout:
	// a sync call must never hang a worker.
	defaultTimeout = 10 * time.Second
	// maxIdleConnsPerHost lets a full worker pool reuse connections to one
	// platform instead of dialling anew (net/http's default is 2).
	maxIdleConnsPerHost = 64
	// maxSnippet is how much of an error response ends up in SyncError.Msg.
	maxSnippet = 200
	// maxDrain is how much of a response is read to keep its connection;
	// a longer body costs a new connection rather than unbounded reading.
	maxDrain = 64 << 10
	// maxRetryAfter keeps an absurd Retry-After from overflowing; the job
	// layer caps it at max_delay anyway.
	maxRetryAfter = 365 * 24 * time.Hour
)

// client pushes cancellation states to a seed platform's API.
type client struct {
	base   string // api.base_url without its trailing slash
	token  string
	secret []string // strings that must never appear in an error
	http   *http.Client
	now    func() time.Time
}

func newClient(api adapters.API) *client {
	timeout := api.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	c := &client{
		base:  strings.TrimRight(api.BaseURL, "/"),
		token: api.Token,
		http: &http.Client{
			Transport: newTransport(),
			Timeout:   timeout,
			// Following a redirect would turn the PUT into a GET on 301-303
			// and drop the Authorization header off-host: treat it as the
			// platform's answer instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}
	if api.Token != "" {
		c.secret = append(c.secret, api.Token)
	}
	if u, err := url.Parse(api.BaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			c.secret = append(c.secret, p)
		}
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

// updateWire is adapters.Update as docs/API.md §5 puts it on the wire: absent
// values are null, not empty strings.
type updateWire struct {
	OrderID            string                 `json:"order_id"`
	RequestID          string                 `json:"request_id"`
	State              adapters.State         `json:"state"`
	Version            int64                  `json:"version"`
	Reason             string                 `json:"reason"`
	DenialReason       *adapters.DenialReason `json:"denial_reason"`
	RespondBy          *time.Time             `json:"respond_by"`
	Refund             *adapters.Refund       `json:"refund"`
	AffectsSellerStats bool                   `json:"affects_seller_stats"`
}

func toWire(u adapters.Update) updateWire {
	w := updateWire{
		OrderID:            u.OrderID,
		RequestID:          u.RequestID,
		State:              u.State,
		Version:            u.Version,
		Reason:             u.Reason,
		Refund:             u.Refund,
		AffectsSellerStats: u.AffectsSellerStats,
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
// failure is a *adapters.SyncError; see classify for which are retried.
func (c *client) Push(ctx context.Context, idempotencyKey string, u adapters.Update) error {
	if u.OrderID == "" {
		return &adapters.SyncError{Msg: "update has no order_id"}
	}
	body, err := json.Marshal(toWire(u))
	if err != nil {
		return &adapters.SyncError{Msg: "encode update: " + err.Error()}
	}
	path := "/orders/" + url.PathEscape(u.OrderID) + "/cancellation"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(body))
	if err != nil {
		// The error would quote base_url, which may carry credentials.
		return &adapters.SyncError{Msg: "PUT " + path + ": invalid api.base_url"}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", idempotencyKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")

	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(path, err)
	}
	defer func() {
		// Drain what is left so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	text := http.StatusText(resp.StatusCode)
	if text == "" {
		text = "unexpected status"
	}
	msg := "HTTP " + strconv.Itoa(resp.StatusCode) + ": " + text
	if snippet := c.snippet(resp.Body); snippet != "" {
		msg += ": " + snippet
	}
	return &adapters.SyncError{
		Retryable:  retryableStatus(resp.StatusCode),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		Msg:        msg,
	}
}

// retryableStatus reports whether a status may succeed if sent again:
// request timeout, rate limiting and server errors. Every other 4xx (and
// an unfollowed 3xx) means the request itself is wrong.
func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// transportError describes a push that got no response. All such failures
// (timeouts, refused or reset connections, DNS) are retryable.
func (c *client) transportError(path string, err error) *adapters.SyncError {
	// *url.Error quotes the whole URL; keep only its cause.
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	var ne net.Error
	var msg string
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		msg = "PUT " + path + ": timed out"
		if c.http.Timeout > 0 {
			msg += " (api.timeout " + c.http.Timeout.String() + ")"
		}
	case errors.Is(err, context.Canceled):
		msg = "PUT " + path + ": canceled"
	default:
		msg = "PUT " + path + ": " + cause.Error()
	}
	return &adapters.SyncError{Retryable: true, Msg: c.redact(msg)}
}

// snippet returns the start of an error response, one line of printable
// text with credentials removed, for the operator reading the DLQ.
func (c *client) snippet(body io.Reader) string {
	// Read past maxSnippet by the longest secret, so that one which starts
	// inside the snippet is read whole and redacted rather than cut in two.
	limit := maxSnippet
	for _, s := range c.secret {
		limit = max(limit, maxSnippet+len(s))
	}
	buf, _ := io.ReadAll(io.LimitReader(body, int64(limit)))
	s := c.redact(string(buf))
	if len(buf) == limit {
		// The read may have cut a secret short; drop what is left of it,
		// since collapsing whitespace below could pull it into the snippet.
		for _, secret := range c.secret {
			for k := len(secret) - 1; k > 0; k-- {
				if strings.HasSuffix(s, secret[:k]) {
					s = s[:len(s)-k]
					break
				}
			}
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > maxSnippet {
		cut := maxSnippet
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// redact removes the token and the base_url password from s.
func (c *client) redact(s string) string {
	for _, secret := range c.secret {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// ParseRetryAfter reads Retry-After as delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3); 0 when absent, malformed or already past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	} else if errors.Is(err, strconv.ErrRange) {
		return maxRetryAfter
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
