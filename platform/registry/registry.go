// Package registry lists the platforms this build knows. A new platform is
// one folder under platform/ and one line in Default's list.
package registry

import (
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/aliexpress"
	"github.com/cancelsync/cancelsync/platform/fiverr"
	"github.com/cancelsync/cancelsync/platform/poshmark"
	"github.com/cancelsync/cancelsync/platform/selfservice"
	"github.com/cancelsync/cancelsync/platform/shopify"
	"github.com/cancelsync/cancelsync/platform/woocommerce"
)

// Default is every platform of this build, by name. It returns a new map
// each call, so a caller may add to it without touching anyone else's.
func Default() platform.Registry {
	r := platform.Registry{}
	for _, p := range []platform.Platform{
		selfservice.Platform,
		poshmark.Platform,
		aliexpress.Platform,
		fiverr.Platform,
		shopify.Platform,
		woocommerce.Platform,
	} {
		r[p.Name] = p
	}
	return r
}

// With is Default and the platforms extra, which replace a default one of
// the same name: how a test serves a platform this build does not register
// (platform/examplemarket).
func With(extra ...platform.Platform) platform.Registry {
	r := Default()
	for _, p := range extra {
		r[p.Name] = p
	}
	return r
}
