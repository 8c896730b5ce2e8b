// Package examplemarket is a complete platform written to prove what adding
// one takes: this folder and one registration line, nothing in a shared
// file. "Example Market" has webhooks of its own (an HMAC header over the
// body, its own JSON), one config key of its own (market), its own rule
// and its own sync call. No build registers it; a test does, with
// registry.With(examplemarket.Platform).
//
// A real platform is the same folder under platform/ and one line in
// registry.Default.
package examplemarket

import (
	"fmt"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

// Name is the platform's name in a config's platform key.
const Name = "examplemarket"

// Platform is Example Market, for a registry.
var Platform = platform.Platform{
	Name:        Name,
	Rules:       Policy{},
	Defaults:    platform.Windows{CancelWindow: time.Hour},
	Keys:        []platform.Key{{Name: "market"}},
	CheckSecret: CheckSecret,
	Check:       Check,
	NewInbound: func(s platform.Settings) (map[platform.Kind]platform.Inbound, error) {
		in, err := newInbound(s.Secrets)
		if err != nil {
			return nil, err
		}
		return map[platform.Kind]platform.Inbound{platform.KindOrders: in, platform.KindCancellations: in}, nil
	},
	NewClient: func(s platform.Settings) platform.Client {
		market, _ := readMarket(s.Block)
		return newClient(s.API, market)
	},
}

// markets are the values market takes.
var markets = map[string]bool{"eu": true, "us": true}

// readMarket parses the adapter's own block: market, and nothing else.
func readMarket(b platform.Block) (string, []platform.FieldError) {
	r := b.Read()
	m := r.String("market")
	return m, r.Done()
}

// CheckSecret takes a shared secret of at least 16 characters.
func CheckSecret(s string) error {
	if len(s) < 16 {
		return fmt.Errorf("must be the market's webhook secret: at least 16 characters")
	}
	return nil
}

// Check reports problems with the keys an Example Market adapter owns.
func Check(s platform.Settings) []platform.FieldError {
	m, errs := readMarket(s.Block)
	if !markets[m] {
		errs = append(errs, platform.FieldError{Field: "market", Message: fmt.Sprintf("%q must be eu or us", m)})
	}
	return errs
}
