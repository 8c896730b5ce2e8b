// Package selfservice is a merchant console's own cancel button: the buyer or
// the merchant cancels an unshipped order at once, and the buyer is paid back
// to the original payment. It speaks the seed platforms' Standard Webhooks
// and JSON payloads.
package selfservice

import (
	"github.com/cancelsync/cancelsync/adapters/seed"
)

// Platform is the self-service platform, for the registry.
var Platform = seed.Platform("selfservice", Policy{}, Defaults())
