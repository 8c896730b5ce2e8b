package examplemarket

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/httpsync"
)

// HeaderMarket carries the adapter's market on every sync call.
const HeaderMarket = "X-Market"

// StateBody is what a sync call posts to
// {base_url}/orders/{order_id}/cancellation-state.
type StateBody struct {
	RequestID string         `json:"request_id"`
	State     platform.State `json:"state"`
	Version   int64          `json:"version"`
}

type client struct {
	base, token, market string
	secrets             httpsync.Secrets
	http                *http.Client
}

func newClient(api platform.API, market string) client {
	return client{
		base: strings.TrimRight(api.BaseURL, "/"), token: api.Token, market: market,
		secrets: httpsync.NewSecrets(api), http: httpsync.NewClient(api.Timeout, nil),
	}
}

// Push posts u's state; the market's answer decides the outcome.
func (c client) Push(ctx context.Context, idempotencyKey string, u platform.Update) error {
	body, err := json.Marshal(StateBody{RequestID: u.RequestID, State: u.State, Version: u.Version})
	if err != nil {
		return &platform.SyncError{Msg: "encode update: " + err.Error()}
	}
	path := "/orders/" + url.PathEscape(u.OrderID) + "/cancellation-state"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return &platform.SyncError{Msg: "POST " + path + ": invalid api.base_url"}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", idempotencyKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderMarket, c.market)
	resp, err := c.http.Do(req)
	if err != nil {
		return c.secrets.TransportError("POST "+path, c.http.Timeout, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &platform.SyncError{
		Retryable:  httpsync.Retryable(resp.StatusCode),
		RetryAfter: httpsync.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Msg:        httpsync.StatusMsg(resp.StatusCode),
	}
}
