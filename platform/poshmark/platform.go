// Package poshmark is Poshmark: a buyer may cancel an unshipped order alone
// for a few hours after checkout and is paid back in Poshmark credit; the
// seller may cancel any unshipped order, refunded to the original payment. It
// speaks cancelsync's v1 webhook API (package v1api).
package poshmark

import (
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is Poshmark, for the registry.
var Platform = v1api.Platform("poshmark", Policy{}, Defaults())
