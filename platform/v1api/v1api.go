// Package v1api is cancelsync's own v1 webhook API as a platform speaks it:
// deliveries signed with Standard Webhooks (package standardwebhooks)
// carrying the JSON bodies of docs/API.md §3 (package v1payload), and the
// sync call of §5 (PUT {base_url}/orders/{order_id}/cancellation). The four
// platforms without webhooks of their own (selfservice, poshmark,
// aliexpress, fiverr) are built with Platform; Shopify and WooCommerce take
// relayed cancellations through WithRelay.
package v1api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
	"github.com/cancelsync/cancelsync/platform/v1payload"
)

// inbound pairs the signature check with the payload decoder; both are safe
// for concurrent use.
type inbound struct {
	*standardwebhooks.Verifier
	*v1payload.Decoder
}

var (
	_ platform.Inbound = inbound{}
	_ platform.Client  = (*client)(nil)
)

// NewInbound verifies Standard Webhooks signatures with any of secrets
// ("whsec_" + base64) and decodes the v1 JSON payloads.
func NewInbound(secrets []string) (platform.Inbound, error) {
	v, err := standardwebhooks.NewVerifier(secrets)
	if err != nil {
		return nil, err
	}
	return inbound{Verifier: v, Decoder: v1payload.NewDecoder()}, nil
}

// Endpoints is Platform.NewInbound of the v1 platforms: both endpoints
// verify with the adapter's secrets and take the v1 JSON payloads.
func Endpoints(s platform.Settings) (map[platform.Kind]platform.Inbound, error) {
	in, err := NewInbound(s.Secrets)
	if err != nil {
		return nil, err
	}
	return map[platform.Kind]platform.Inbound{platform.KindOrders: in, platform.KindCancellations: in}, nil
}

// Platform is a platform on the v1 API, for the registry: its own name, rules and
// default windows; the secrets, the endpoints, the sync call and the
// config check are the v1 API's.
func Platform(name string, rules platform.Rules, defaults platform.Windows) platform.Platform {
	return platform.Platform{
		Name:        name,
		Rules:       rules,
		Defaults:    defaults,
		CheckSecret: standardwebhooks.CheckSecret,
		Check:       Check,
		NewInbound:  Endpoints,
		NewClient:   ClientFor,
	}
}

// WithRelay is the endpoints of a platform with its own webhooks (Shopify,
// WooCommerce): orders on /orders and, only when relaySecrets are set,
// /cancellations taking the v1 payloads a merchant's systems relay.
func WithRelay(orders platform.Inbound, relaySecrets []string) (map[platform.Kind]platform.Inbound, error) {
	in := map[platform.Kind]platform.Inbound{platform.KindOrders: orders}
	if len(relaySecrets) > 0 {
		relay, err := NewInbound(relaySecrets)
		if err != nil {
			return nil, fmt.Errorf("relay_secrets: %w", err)
		}
		in[platform.KindCancellations] = relayInbound{Inbound: relay, orders: orders}
	}
	return in, nil
}

// relayInbound is the relayed-cancellations endpoint of a platform with its
// own webhooks. A refused delivery that the platform's own verifier accepts
// is the platform's webhook posted to the wrong endpoint, and is refused as
// such, so the log says to post it to /orders rather than "no webhook-id".
type relayInbound struct {
	platform.Inbound
	orders platform.Inbound
}

func (r relayInbound) Verify(h http.Header, body []byte, now time.Time) (string, error) {
	id, err := r.Inbound.Verify(h, body, now)
	// Only a delivery without the Standard Webhooks headers is worth the
	// second HMAC: the platform's own webhooks never carry them.
	if ae, ok := errors.AsType[*platform.AuthError](err); ok && ae.Reason == platform.ReasonMissingHeader {
		if _, oerr := r.orders.Verify(h, body, now); oerr == nil {
			return "", errWrongEndpoint
		}
	}
	return id, err
}

var errWrongEndpoint = platform.NewAuthError(platform.ReasonWrongEndpoint, "")

// NewClient pushes states with PUT {base_url}/orders/{order_id}/cancellation.
func NewClient(api platform.API) platform.Client {
	return newClient(api)
}

// ClientFor is Platform.NewClient of the v1 platforms.
func ClientFor(s platform.Settings) platform.Client {
	return newClient(s.API)
}

// Check is Platform.Check of the v1 platforms: they read no keys of their
// own, so every key in the adapter's block is refused rather than silently
// ignored.
func Check(s platform.Settings) []platform.FieldError {
	return s.Block.Read().Done()
}
