package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// Connect failures that are the caller's, not the platform's.
var (
	ErrNoPublicURL    = errors.New("public_url is not set: it is where the platform sends webhooks ({public_url}/webhooks/{adapter}/orders)")
	ErrNotConnectable = errors.New("this platform has no webhook subscriptions to manage: configure its webhooks on the platform")
)

// Connect makes sure ad's platform sends the order webhooks cancelsync
// needs to {publicURL}/webhooks/{adapter}/orders: it creates what is
// missing, re-activates what is disabled and leaves the rest alone, so a
// second run changes nothing (docs/API.md §13). cancelsync connect and the
// console's Connect button both run it. The states it leaves are recorded
// in store, when given, for the console.
func Connect(ctx context.Context, store *orderstore.Store, ad *platform.Adapter, publicURL string, now time.Time) ([]platform.Subscription, error) {
	if ad.Boundary == nil || ad.Boundary.Subscriber == nil {
		return nil, ErrNotConnectable
	}
	if publicURL == "" {
		return nil, ErrNoPublicURL
	}
	subs, err := ad.Boundary.Subscriber.Subscriptions(ctx, OrdersURL(publicURL, ad.ID), platform.Ensure)
	if err != nil {
		return nil, fmt.Errorf("list webhook subscriptions: %w", err)
	}
	if store != nil {
		states := map[string]string{}
		for _, s := range subs {
			states[s.Topic] = s.State
			if s.Result == "created" || s.Result == "reactivated" {
				states[s.Topic] = platform.SubscriptionOK
			}
		}
		_ = store.SaveSubscriptions(ctx, ad.ID, states, now)
	}
	return subs, nil
}

// Failed reports whether any subscription could not be put in place.
func Failed(subs []platform.Subscription) bool {
	for _, s := range subs {
		if strings.HasPrefix(s.Result, "failed") {
			return true
		}
	}
	return false
}
