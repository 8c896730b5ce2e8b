package httpsync

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {" 7 ", 7 * time.Second}, {"-3", 0}, {"soon", 0},
		{"99999999999999999999999", maxRetryAfter}, {"9999999999", maxRetryAfter},
		{now.Add(90 * time.Second).Format(httpTime), 90 * time.Second},
		{now.Add(-time.Minute).Format(httpTime), 0},
	} {
		if got := ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestRetryable(t *testing.T) {
	for code, want := range map[int]bool{200: false, 302: false, 400: false, 401: false, 403: false, 404: false, 408: true, 409: false, 429: true, 500: true, 503: true} {
		if got := Retryable(code); got != want {
			t.Errorf("Retryable(%d) = %v, want %v", code, got, want)
		}
	}
	if got := StatusMsg(599); got != "HTTP 599: unexpected status" {
		t.Errorf("StatusMsg(599) = %q", got)
	}
}

func TestTransportErrorRedactsAndKeepsCause(t *testing.T) {
	ss := NewSecrets(platform.API{Token: "s3cret"})
	err := &url.Error{Op: "Put", URL: "https://u:s3cret@h/x", Err: errors.New("connection refused by s3cret")}
	se := ss.TransportError("PUT /x", time.Second, err)
	if !se.Retryable || se.Msg != "PUT /x: connection refused by [redacted]" {
		t.Errorf("got %+v", se)
	}
	se = ss.TransportError("PUT /x", 2*time.Second, context.DeadlineExceeded)
	if se.Msg != "PUT /x: timed out (api.timeout 2s)" {
		t.Errorf("got %q", se.Msg)
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine("a\n\tb\x00c  d", 100); got != "a b c d" {
		t.Errorf("got %q", got)
	}
	got := OneLine(strings.Repeat("é", 10), 5)
	if got != "éé…" {
		t.Errorf("got %q", got)
	}
}
