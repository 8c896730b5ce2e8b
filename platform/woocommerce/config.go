package woocommerce

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Keys are the config keys a WooCommerce adapter reads besides those every
// adapter has (docs/API.md §2).
var Keys = append([]platform.Key{
	{Name: "api.consumer_key", Secret: true},
	{Name: "api.consumer_secret", Secret: true},
	{Name: "relay_secrets", Secret: true},
	{Name: "policy.status_map"},
}, platform.ReconcileKeys...)

// adapterConfig is a WooCommerce adapter's own block, as written (unchecked).
type adapterConfig struct {
	consumerKey    string            // REST API key, ck_...
	consumerSecret string            // REST API secret, cs_...
	relaySecrets   []string          // Standard Webhooks secrets of relayed cancellations
	statusMap      map[string]string // the store's own statuses to ours
	// every and overlap shape the reconciliation poll (docs/API.md §13).
	every, overlap time.Duration
}

// readConfig parses b; its problems name the keys of b that are not of
// the right shape or that WooCommerce does not read.
func readConfig(b platform.Block) (adapterConfig, []platform.FieldError) {
	r := b.Read()
	c := adapterConfig{
		consumerKey:    r.String("api.consumer_key"),
		consumerSecret: r.String("api.consumer_secret"),
		relaySecrets:   r.Strings("relay_secrets"),
		statusMap:      r.StringMap("policy.status_map"),
	}
	c.every, c.overlap = platform.ReadReconcile(r)
	return c, r.Done()
}

// configOf is s's block for the constructors, which run on settings Check
// accepted.
func configOf(s platform.Settings) adapterConfig {
	c, _ := readConfig(s.Block)
	return c
}
