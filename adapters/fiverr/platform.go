// Package fiverr is Fiverr: cancelling an order takes both sides, so either
// one asks and the other has a response window to agree; a decline or
// silence goes to Fiverr's customer support. It speaks the seed platforms'
// Standard Webhooks and JSON payloads.
package fiverr

import (
	"github.com/cancelsync/cancelsync/adapters/seed"
)

// Platform is Fiverr, for the registry.
var Platform = seed.Platform("fiverr", Policy{}, Defaults())
