// Package aliexpress is AliExpress: a buyer's request goes to the seller, who
// has a response window to accept or decline it; silence approves it and a
// decline opens a dispute. The seller's own cancel applies at once. It speaks
// the seed platforms' Standard Webhooks and JSON payloads.
package aliexpress

import (
	"github.com/cancelsync/cancelsync/adapters/seed"
)

// Platform is AliExpress, for the registry.
var Platform = seed.Platform("aliexpress", Policy{}, Defaults())
