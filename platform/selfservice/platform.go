// Package selfservice is a merchant console's own cancel button: the buyer or
// the merchant cancels an unshipped order at once, and the buyer is paid back
// to the original payment. It speaks cancelsync's v1 webhook API
// (package v1api), and cancels some lines of an order as well as all of it.
package selfservice

import (
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is the self-service platform, for the registry.
var Platform = withLines(v1api.Platform("selfservice", Policy{}, Defaults()))

// withLines is p cancelling lines: the merchant's own checkout refunds
// what the §5 PUT's lines say.
func withLines(p platform.Platform) platform.Platform {
	p.Lines = true
	return p
}
