package shopify

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

// gql is one Admin GraphQL endpoint, for the reads and the subscriptions
// (the cancellation has its own client, which maps answers to sync
// outcomes).
type gql struct {
	endpoint string
	token    string
	secrets  httpsync.Secrets
	http     *http.Client
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

// cost is an answer's extensions.cost: what the query asked of the bucket
// and what is left in it (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
type cost struct {
	RequestedQueryCost float64  `json:"requestedQueryCost"`
	ActualQueryCost    *float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// wait is how long the bucket needs to hold need points again; 0 when it
// does or the answer did not say.
func (c cost) wait(need float64) time.Duration {
	t := c.ThrottleStatus
	if t.RestoreRate <= 0 || t.CurrentlyAvailable >= need {
		return 0
	}
	secs := (need - t.CurrentlyAvailable) / t.RestoreRate
	return time.Duration(math.Min(secs, 60) * float64(time.Second))
}

// retryableError is a failure worth waiting out: THROTTLED, 429, 5xx.
type retryableError struct {
	msg   string
	after time.Duration
}

func (e *retryableError) Error() string { return e.msg }

// do posts one query and decodes its data into out. It returns the
// answer's cost whenever the answer carried one.
func (g *gql) do(ctx context.Context, query string, vars map[string]any, out any) (cost, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return cost{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.endpoint, bytes.NewReader(body))
	if err != nil {
		return cost{}, errors.New("invalid api.base_url")
	}
	req.Header.Set("X-Shopify-Access-Token", g.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "cancelsync")
	resp, err := g.http.Do(req)
	if err != nil {
		return cost{}, errors.New(g.secrets.TransportError("Admin API", g.http.Timeout, err).Msg)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 8*maxResponse))
	after := httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), g.now())
	switch code := resp.StatusCode; {
	case httpsync.Retryable(code):
		return cost{}, &retryableError{msg: httpsync.StatusMsg(code), after: after}
	case code != http.StatusOK:
		return cost{}, errors.New(httpsync.StatusMsg(code))
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
			Cost cost `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return cost{}, &retryableError{msg: "answer is not JSON", after: after}
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
		msg := httpsync.OneLine(g.secrets.Redact(strings.Join(msgs, "; ")), maxMsg)
		if retry {
			return c, &retryableError{msg: msg, after: max(after, c.wait(c.RequestedQueryCost))}
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

// patient is do, waiting out throttling, 429 and 5xx (at least a second
// when the platform names no wait) up to maxWaits times.
func (g *gql) patient(ctx context.Context, query string, vars map[string]any, out any) (cost, error) {
	for attempt := 0; ; attempt++ {
		c, err := g.do(ctx, query, vars, out)
		var re *retryableError
		if !errors.As(err, &re) || attempt >= maxWaits {
			return c, err
		}
		if err := g.sleep(ctx, max(re.after, time.Second)); err != nil {
			return c, fmt.Errorf("%s; %w", re.msg, err)
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
