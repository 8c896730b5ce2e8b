// Package admingql posts queries to one Shopify Admin GraphQL endpoint for
// the reads and the webhook subscriptions, and waits out Shopify's rate
// limits: THROTTLED and its cost bucket, 429 and 5xx
// (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits). The
// cancellation has its own client, which maps answers to sync outcomes.
package admingql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform/httpsync"
)

// maxMsg bounds an error message taken from an answer.
const (
	maxMsg      = 300
	maxResponse = 1 << 20 // the largest answer read
)

// Client is one Admin GraphQL endpoint.
type Client struct {
	Endpoint string
	Token    string
	Secrets  httpsync.Secrets
	HTTP     *http.Client
	Now      func() time.Time
	Sleep    func(context.Context, time.Duration) error
}

// Cost is an answer's extensions.cost: what the query asked of the bucket
// and what is left in it (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
type Cost struct {
	RequestedQueryCost float64  `json:"requestedQueryCost"`
	ActualQueryCost    *float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// Wait is how long the bucket needs to hold need points again; 0 when it
// does or the answer did not say.
func (c Cost) Wait(need float64) time.Duration {
	t := c.ThrottleStatus
	if t.RestoreRate <= 0 || t.CurrentlyAvailable >= need {
		return 0
	}
	secs := (need - t.CurrentlyAvailable) / t.RestoreRate
	return time.Duration(math.Min(secs, 60) * float64(time.Second))
}

// RetryableError is a failure worth waiting out: THROTTLED, 429, 5xx.
type RetryableError struct {
	Msg   string
	After time.Duration
}

func (e *RetryableError) Error() string { return e.Msg }

// Do posts one query and decodes its data into out. It returns the
// answer's cost whenever the answer carried one.
func (g *Client) Do(ctx context.Context, query string, vars map[string]any, out any) (Cost, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Cost{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.Endpoint, bytes.NewReader(body))
	if err != nil {
		return Cost{}, errors.New("invalid api.base_url")
	}
	req.Header.Set("X-Shopify-Access-Token", g.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		return Cost{}, errors.New(g.Secrets.TransportError("Admin API", g.HTTP.Timeout, err).Msg)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 8*maxResponse))
	after := httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), g.Now())
	switch code := resp.StatusCode; {
	case httpsync.Retryable(code):
		return Cost{}, &RetryableError{Msg: httpsync.StatusMsg(code), After: after}
	case code != http.StatusOK:
		return Cost{}, errors.New(httpsync.StatusMsg(code))
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
		Extensions struct {
			Cost Cost `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Cost{}, &RetryableError{Msg: "answer is not JSON", After: after}
	}
	c := r.Extensions.Cost
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		retry := false
		for i, e := range r.Errors {
			msgs[i] = e.Message
			if e.Extensions.Code != "" {
				msgs[i] = e.Extensions.Code + ": " + e.Message
			}
			retry = retry || e.Extensions.Code == "THROTTLED" || e.Extensions.Code == "INTERNAL_SERVER_ERROR"
		}
		msg := httpsync.OneLine(g.Secrets.Redact(strings.Join(msgs, "; ")), maxMsg)
		if retry {
			return c, &RetryableError{Msg: msg, After: max(after, c.Wait(c.RequestedQueryCost))}
		}
		return c, errors.New(msg)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return c, fmt.Errorf("answer's data: %v", err)
		}
	}
	return c, nil
}

// maxWaits bounds how many times one call is waited out and sent again.
const maxWaits = 20

// Patient is do, waiting out throttling, 429 and 5xx (at least a second
// when the platform names no wait) up to maxWaits times.
func (g *Client) Patient(ctx context.Context, query string, vars map[string]any, out any) (Cost, error) {
	for attempt := 0; ; attempt++ {
		c, err := g.Do(ctx, query, vars, out)
		var re *RetryableError
		if !errors.As(err, &re) || attempt >= maxWaits {
			return c, err
		}
		if err := g.Sleep(ctx, max(re.After, time.Second)); err != nil {
			return c, fmt.Errorf("%s; %w", re.Msg, err)
		}
	}
}

// SleepCtx waits d, or until ctx is done.
func SleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
