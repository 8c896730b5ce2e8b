// Package aliexpress is AliExpress: a buyer's request goes to the seller, who
// has a response window to accept or decline it; silence approves it and a
// decline opens a dispute. The seller's own cancel applies at once. It speaks
// cancelsync's v1 webhook API (package v1api).
package aliexpress

import (
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is AliExpress, for the registry.
var Platform = v1api.Platform("aliexpress", Policy{}, Defaults())
