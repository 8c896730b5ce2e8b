// Package woocommerce is a WooCommerce store: WooCommerce's own order
// webhooks come in unchanged (HMAC over the body, no signed timestamp, a
// form-encoded ping when a webhook is saved), a buyer may cancel an unpaid
// order alone while a paid one waits for the merchant's answer, and the
// outcome goes back through the store's REST API: a status change and one
// refund for a cancellation, an order note the customer sees for anything
// else. Buyers' requests arrive from the storefront endpoints or, signed
// with relay_secrets, from the merchant's own systems as the v1
// cancellation bodies (docs/WOOCOMMERCE.md).
package woocommerce

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/standardwebhooks"
	"github.com/cancelsync/cancelsync/platform/v1api"
)

// Platform is WooCommerce, for the registry.
var Platform = platform.Platform{
	Name:        "woocommerce",
	Lines:       true,
	Rules:       Policy{},
	Defaults:    Defaults(),
	Keys:        Keys,
	CheckSecret: CheckSecret,
	Check:       Check,
	NewInbound:  Endpoints,
	NewClient: func(s platform.Settings) platform.Client {
		c := configOf(s)
		return NewClient(s.API, c.consumerKey, c.consumerSecret)
	},
	NewBoundary: NewBoundary,
	// The key and secret go out joined, as Basic auth.
	Credentials: func(s platform.Settings) []string {
		c := configOf(s)
		return platform.BasicCredentials(c.consumerKey, c.consumerSecret)
	},
}

// maxSecretLen bounds a webhook secret; WooCommerce generates 50
// characters, and nothing longer is plausible.
const maxSecretLen = 1024

var errSecretFormat = errors.New("must be the webhook's secret as set in WooCommerce: 1 to 1024 printable characters")

// CheckSecret accepts a webhook secret as WooCommerce stores it: any
// non-empty printable text (its generated secrets include punctuation and
// spaces). The error never quotes s.
func CheckSecret(s string) error {
	if s == "" || len(s) > maxSecretLen || !utf8.ValidString(s) {
		return errSecretFormat
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return errSecretFormat
		}
	}
	return nil
}

// statusKey is a store status slug as the REST API sends it: WordPress
// keeps post statuses to 20 characters, "wc-" included.
var statusKey = regexp.MustCompile(`^[a-z0-9_-]{1,17}$`)

// Check reports problems with the keys a WooCommerce adapter owns.
func Check(s platform.Settings) []platform.FieldError {
	c, read := readConfig(s.Block)
	failed := map[string]bool{}
	for _, fe := range read {
		failed[fe.Field] = true
	}
	var errs []platform.FieldError
	add := func(field, msg string) {
		if !failed[field] {
			errs = append(errs, platform.FieldError{Field: field, Message: msg})
		}
	}
	if msg := checkKey(c.consumerKey, true); msg != "" {
		add("api.consumer_key", msg)
	}
	if msg := checkKey(c.consumerSecret, false); msg != "" {
		add("api.consumer_secret", msg)
	}
	for i, r := range c.relaySecrets {
		if err := standardwebhooks.CheckSecret(r); err != nil {
			add(fmt.Sprintf("relay_secrets[%d]", i), err.Error())
		}
	}
	keys := make([]string, 0, len(c.statusMap))
	for k := range c.statusMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field := "policy.status_map." + k
		switch {
		case strings.HasPrefix(k, "wc-"):
			add(field, fmt.Sprintf("write the status as the REST API sends it, without %q", "wc-"))
		case !statusKey.MatchString(k):
			add(field, "must be a WooCommerce status slug: 1 to 17 of a-z, 0-9, - and _")
		case coreStatus(k):
			add(field, "is a WooCommerce core status, which cancelsync maps itself")
		}
		if !ourStatus(c.statusMap[k]) {
			add(field, fmt.Sprintf("%q must be one of placed, paid, shipped, delivered, completed, cancelled", truncate(c.statusMap[k], 32)))
		}
	}
	if s.Windows.CancelWindow > 0 {
		add("policy.cancel_window", "is not used by this platform: an unpaid order may be cancelled at any time, a paid one waits for the merchant")
	}
	// api.token is tolerated and ignored: docs/API.md §2 says only that it is
	// not used here, so a config written from the general example still starts.
	return append(errs, read...)
}

// checkKey says why a REST API key or secret cannot be sent with Basic
// auth, or "". It never quotes the key.
func checkKey(k string, isKey bool) string {
	what := "the REST API consumer secret (cs_...)"
	if isKey {
		what = "the REST API consumer key (ck_...)"
	}
	if k == "" {
		return "is required: " + what + " with read/write permission"
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' || isKey && k[i] == ':' {
			return "must be " + what + " as WooCommerce shows it: printable characters without spaces"
		}
	}
	return ""
}

// Endpoints is Platform.NewInbound: /orders takes WooCommerce's webhooks;
// /cancellations exists only with relay_secrets.
func Endpoints(s platform.Settings) (map[platform.Kind]platform.Inbound, error) {
	c := configOf(s)
	orders, err := newInbound(s.Secrets, c.statusMap)
	if err != nil {
		return nil, err
	}
	return v1api.WithRelay(orders, c.relaySecrets)
}

// NewBoundary builds the adapter's live reads, poll settings and webhook
// subscriptions, with the same REST API keys as its sync.
func NewBoundary(s platform.Settings) *platform.Boundary {
	c := configOf(s)
	in, _ := newInbound(s.Secrets, c.statusMap)
	site := http.Header{}
	site.Set(HeaderSource, s.API.BaseURL)
	r := &reader{c: NewClient(s.API, c.consumerKey, c.consumerSecret), in: in, site: site, sleep: sleepCtx}
	secret := ""
	if len(s.Secrets) > 0 {
		secret = s.Secrets[0]
	}
	return &platform.Boundary{
		Reader: r, Subscriber: &subscriber{r: r, secret: secret},
		Every: c.every, Overlap: c.overlap, Timeout: s.API.Timeout,
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
