// Package seed is what the four seed platforms (selfservice, poshmark,
// aliexpress, fiverr) share: Standard Webhooks signatures, the JSON payloads
// of docs/API.md §3 and the sync call of §5.
package seed

import (
	"github.com/cancelsync/cancelsync/adapters"
)

// inbound pairs the signature check with the payload decoder; both are safe
// for concurrent use.
type inbound struct {
	*verifier
	*decoder
}

var (
	_ adapters.Inbound = inbound{}
	_ adapters.Client  = (*client)(nil)
)

// NewInbound verifies Standard Webhooks signatures with any of secrets
// ("whsec_" + base64) and decodes the seed JSON payloads.
func NewInbound(secrets []string) (adapters.Inbound, error) {
	v, err := newVerifier(secrets)
	if err != nil {
		return nil, err
	}
	return inbound{verifier: v, decoder: newDecoder()}, nil
}

// NewClient pushes states with PUT {base_url}/orders/{order_id}/cancellation.
func NewClient(api adapters.API) adapters.Client {
	return newClient(api)
}
