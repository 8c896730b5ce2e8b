// Package poshmark is Poshmark: a buyer may cancel an unshipped order alone
// for a few hours after checkout and is paid back in Poshmark credit; the
// seller may cancel any unshipped order, refunded to the original payment. It
// speaks the seed platforms' Standard Webhooks and JSON payloads.
package poshmark

import (
	"github.com/cancelsync/cancelsync/adapters/seed"
)

// Platform is Poshmark, for the registry.
var Platform = seed.Platform("poshmark", Policy{}, Defaults())
