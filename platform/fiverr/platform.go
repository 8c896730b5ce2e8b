// Package fiverr is Fiverr: cancelling an order takes both sides, so either
// one asks and the other has a response window to agree; a decline or
// silence goes to Fiverr's customer support. It speaks cancelsync's v1
// webhook API (package v1api).
package fiverr

import (
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is Fiverr, for the registry.
var Platform = v1api.Platform("fiverr", Policy{}, Defaults())
