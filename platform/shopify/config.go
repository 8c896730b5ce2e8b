package shopify

import (
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Keys are the config keys a Shopify adapter reads besides those every
// adapter has (docs/API.md §2).
var Keys = append([]platform.Key{
	{Name: "shop"},
	{Name: "api.version"},
	{Name: "relay_secrets", Secret: true},
	{Name: "policy.notify_customer"},
	{Name: "policy.restock"},
	{Name: "policy.refund"},
}, platform.ReconcileKeys...)

// adapterConfig is a Shopify adapter's own block, as written (unchecked).
type adapterConfig struct {
	shop           string   // the store's {name}.myshopify.com
	version        string   // Admin API version; "" is DefaultAPIVersion
	relaySecrets   []string // Standard Webhooks secrets of relayed cancellations
	notifyCustomer *bool    // tell the buyer (default true)
	restock        *bool    // put the items back in stock (default true)
	refund         string   // original_payment (default) or store_credit
	// every and overlap shape the reconciliation poll (docs/API.md §13).
	every, overlap time.Duration
}

// readConfig parses b; its problems name the keys of b that are not of
// the right shape or that Shopify does not read.
func readConfig(b platform.Block) (adapterConfig, []platform.FieldError) {
	r := b.Read()
	c := adapterConfig{
		shop:           r.String("shop"),
		version:        r.String("api.version"),
		relaySecrets:   r.Strings("relay_secrets"),
		notifyCustomer: r.Bool("policy.notify_customer"),
		restock:        r.Bool("policy.restock"),
		refund:         r.String("policy.refund"),
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
