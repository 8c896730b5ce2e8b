// Package seed is what the four seed platforms (selfservice, poshmark,
// aliexpress, fiverr) share: Standard Webhooks signatures, the JSON payloads
// of CONTRACT §3 and the sync call of §5.
package seed

import (
	"github.com/cancelsync/cancelsync/adapters"
)

// NewInbound verifies Standard Webhooks signatures with any of secrets
// ("whsec_" + base64) and decodes the seed JSON payloads.
func NewInbound(secrets []string) (adapters.Inbound, error) {
	panic("TODO")
}

// NewClient pushes states with PUT {base_url}/orders/{order_id}/cancellation.
func NewClient(api adapters.API) adapters.Client {
	panic("TODO")
}
