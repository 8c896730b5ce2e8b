package woocommerce

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cancelsync/cancelsync/platform"
)

// Topics are the webhook topics cancelsync needs, in the order connect
// prints them.
var Topics = []string{"order.created", "order.updated"}

// webhook is one WooCommerce webhook as GET /webhooks lists it
// (developer.woocommerce.com/docs/apis/rest-api/v3/webhooks: id, name,
// status active | paused | disabled, topic, delivery_url).
type webhook struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	Topic       string `json:"topic"`
	DeliveryURL string `json:"delivery_url"`
}

// subscriber keeps a store's order webhooks pointed at cancelsync, signed
// with the adapter's first secret. WooCommerce disables a webhook after
// five failed deliveries; both paused and disabled are re-activated.
type subscriber struct {
	r      *reader
	secret string
}

var _ platform.Subscriber = (*subscriber)(nil)

func (s *subscriber) Subscriptions(ctx context.Context, url string, mode platform.SubscribeMode) ([]platform.Subscription, error) {
	var hooks []webhook
	for page := 1; page <= 10; page++ {
		var batch []webhook
		h, err := s.r.patientGet(ctx, apiPath+"/webhooks?per_page=100&page="+strconv.Itoa(page), &batch)
		if err != nil {
			return nil, err
		}
		hooks = append(hooks, batch...)
		if pages, _ := strconv.Atoi(h.Get("X-WP-TotalPages")); page >= pages || len(batch) < 100 {
			break
		}
	}
	out := make([]platform.Subscription, 0, len(Topics))
	for _, topic := range Topics {
		var found *webhook
		for i := range hooks {
			if hooks[i].Topic == topic && hooks[i].DeliveryURL == url {
				// An active one wins over a disabled twin.
				if found == nil || hooks[i].Status == "active" {
					found = &hooks[i]
				}
			}
		}
		sub := platform.Subscription{Topic: topic, State: platform.SubscriptionOK, Result: "ok"}
		switch {
		case found == nil:
			sub.State, sub.Result = platform.SubscriptionMissing, "missing"
			if mode == platform.Ensure {
				sub.Result = s.send(ctx, http.MethodPost, apiPath+"/webhooks", map[string]any{
					"name": "cancelsync " + topic, "topic": topic, "delivery_url": url, "secret": s.secret, "status": "active",
				}, "created")
			}
		case found.Status != "active":
			sub.State, sub.Result = platform.SubscriptionDisabled, found.Status
			if mode >= platform.Reactivate {
				sub.Result = s.send(ctx, http.MethodPut, apiPath+"/webhooks/"+strconv.FormatInt(found.ID, 10),
					map[string]any{"status": "active"}, "reactivated")
			}
		}
		out = append(out, sub)
	}
	return out, nil
}

// send makes one change and says how it went: done, or "failed: …".
func (s *subscriber) send(ctx context.Context, method, path string, body map[string]any, done string) string {
	if err := s.r.c.call(ctx, method, path, body, nil); err != nil {
		return fmt.Sprintf("failed: %v", err)
	}
	return done
}
