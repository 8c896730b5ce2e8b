// Package httpsync is what the platform clients (v1api, Shopify,
// WooCommerce) share to push states over HTTP: a client that never follows
// redirects, the reading of Retry-After, which statuses are worth sending
// again, and error messages that are one short line without credentials.
package httpsync

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
)

const (
	// DefaultTimeout bounds a call when the config gives no api.timeout:
	// a sync call must never hang a worker.
	DefaultTimeout = 10 * time.Second
	// maxRetryAfter keeps an absurd Retry-After from overflowing; the job
	// layer caps it at max_delay anyway.
	maxRetryAfter = 365 * 24 * time.Hour
)

// NewClient returns an HTTP client bounded by timeout (DefaultTimeout when
// not positive) that takes a redirect as the answer: following one would
// send the credentials off-host, or turn a PUT into a GET. A nil transport
// is net/http's default.
func NewClient(timeout time.Duration, transport http.RoundTripper) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Retryable reports whether a status may succeed if sent again: request
// timeout, rate limiting and server errors. Every other 4xx (and an
// unfollowed 3xx) means the request itself is wrong.
func Retryable(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
}

// StatusMsg is "HTTP {code}: {text}", as last_error shows a refusal.
func StatusMsg(code int) string {
	text := http.StatusText(code)
	if text == "" {
		text = "unexpected status"
	}
	return "HTTP " + strconv.Itoa(code) + ": " + text
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

// Secrets hide a client's credentials (api.token, base_url's password, a
// platform's own keys) in every form an error message could carry them in
// (platform.Redactor).
type Secrets struct{ platform.Redactor }

// NewSecrets hides the credentials of api and the platform's own, more.
func NewSecrets(api platform.API, more ...string) Secrets {
	return Secrets{platform.NewRedactor(append(api.Credentials(), more...)...)}
}

// TransportError describes a call (what: "PUT /orders/1/cancellation")
// that got no answer: a timeout, a refused or reset connection, DNS. All
// are retryable. The cause of a *url.Error is kept, not the URL it quotes.
func (ss Secrets) TransportError(what string, timeout time.Duration, err error) *platform.SyncError {
	var ne net.Error
	var msg string
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		msg = what + ": timed out"
		if timeout > 0 {
			msg += " (api.timeout " + timeout.String() + ")"
		}
	case errors.Is(err, context.Canceled):
		msg = what + ": canceled"
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		msg = what + ": " + err.Error()
	}
	return &platform.SyncError{Retryable: true, Msg: ss.Redact(msg)}
}

// OneLine makes s one line of printable text of at most max bytes (then
// cut at a character and marked "…"), for an operator reading last_error.
func OneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
