// Package selfservice is a merchant console's own cancel button: the buyer or
// the merchant cancels an unshipped order at once, and the buyer is paid back
// to the original payment. It speaks cancelsync's v1 webhook API
// (package v1api).
package selfservice

import (
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is the self-service platform, for the registry.
var Platform = v1api.Platform("selfservice", Policy{}, Defaults())
