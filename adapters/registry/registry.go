// Package registry lists the platforms this build knows. A new platform is
// one folder under adapters/ and one line in Default's list.
package registry

import (
	"github.com/cancelsync/cancelsync/adapters"
	"github.com/cancelsync/cancelsync/adapters/aliexpress"
	"github.com/cancelsync/cancelsync/adapters/fiverr"
	"github.com/cancelsync/cancelsync/adapters/poshmark"
	"github.com/cancelsync/cancelsync/adapters/selfservice"
	"github.com/cancelsync/cancelsync/adapters/shopify"
	"github.com/cancelsync/cancelsync/adapters/woocommerce"
)

// Default is every platform of this build, by name. It returns a new map
// each call, so a caller may add to it without touching anyone else's.
func Default() adapters.Registry {
	r := adapters.Registry{}
	for _, p := range []adapters.Platform{
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
// (adapters/examplemarket).
func With(extra ...adapters.Platform) adapters.Registry {
	r := Default()
	for _, p := range extra {
		r[p.Name] = p
	}
	return r
}
