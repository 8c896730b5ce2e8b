package shopify

import (
	"context"
	"strings"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/shopify/admingql"
)

// Topics are the orders/* topics cancelsync needs, in the order connect
// prints them, with their WebhookSubscriptionTopic values
// (shopify.dev/docs/api/admin-graphql/latest/enums/WebhookSubscriptionTopic).
var Topics = []struct{ Name, Enum string }{
	{"orders/create", "ORDERS_CREATE"},
	{"orders/updated", "ORDERS_UPDATED"},
	{"orders/paid", "ORDERS_PAID"},
	{"orders/fulfilled", "ORDERS_FULFILLED"},
	{"orders/partially_fulfilled", "ORDERS_PARTIALLY_FULFILLED"},
	{"orders/cancelled", "ORDERS_CANCELLED"},
}

// subscriptionsQuery lists the shop's subscriptions of those topics
// (shopify.dev/docs/api/admin-graphql/latest/queries/webhookSubscriptions;
// uri replaces the deprecated callbackUrl and endpoint).
const subscriptionsQuery = `query Subscriptions($topics: [WebhookSubscriptionTopic!]) { webhookSubscriptions(first: 100, topics: $topics) { nodes { id topic format uri } } }`

// createSubscription is webhookSubscriptionCreate
// (shopify.dev/docs/api/admin-graphql/latest/mutations/webhookSubscriptionCreate).
const createSubscription = `mutation SubscriptionCreate($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id topic uri } userErrors { field message } } }`

// subscriber keeps a shop's orders/* subscriptions pointed at cancelsync.
// Shopify has no disabled subscription (it deletes one that keeps
// failing), so a topic is ok or missing.
type subscriber struct{ g *admingql.Client }

var _ platform.Subscriber = (*subscriber)(nil)

func (s *subscriber) Subscriptions(ctx context.Context, url string, mode platform.SubscribeMode) ([]platform.Subscription, error) {
	enums := make([]string, len(Topics))
	for i, t := range Topics {
		enums[i] = t.Enum
	}
	var data struct {
		WebhookSubscriptions struct {
			Nodes []struct {
				Topic  string `json:"topic"`
				Format string `json:"format"`
				URI    string `json:"uri"`
			} `json:"nodes"`
		} `json:"webhookSubscriptions"`
	}
	if _, err := s.g.Patient(ctx, subscriptionsQuery, map[string]any{"topics": enums}, &data); err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range data.WebhookSubscriptions.Nodes {
		if n.URI == url && n.Format == "JSON" {
			have[n.Topic] = true
		}
	}
	out := make([]platform.Subscription, 0, len(Topics))
	for _, t := range Topics {
		sub := platform.Subscription{Topic: t.Name, State: platform.SubscriptionOK, Result: "ok"}
		if !have[t.Enum] {
			sub.State, sub.Result = platform.SubscriptionMissing, "missing"
			if mode == platform.Ensure {
				sub.Result = s.create(ctx, t.Enum, url)
			}
		}
		out = append(out, sub)
	}
	return out, nil
}

// create subscribes url to topic and says how it went.
func (s *subscriber) create(ctx context.Context, topic, url string) string {
	var data struct {
		WebhookSubscriptionCreate struct {
			WebhookSubscription *struct {
				ID string `json:"id"`
			} `json:"webhookSubscription"`
			UserErrors []struct {
				Message string `json:"message"`
			} `json:"userErrors"`
		} `json:"webhookSubscriptionCreate"`
	}
	vars := map[string]any{"topic": topic, "sub": map[string]any{"uri": url, "format": "JSON"}}
	if _, err := s.g.Patient(ctx, createSubscription, vars, &data); err != nil {
		return "failed: " + err.Error()
	}
	res := data.WebhookSubscriptionCreate
	if len(res.UserErrors) > 0 {
		msgs := make([]string, len(res.UserErrors))
		for i, e := range res.UserErrors {
			msgs[i] = e.Message
		}
		return "failed: " + strings.Join(msgs, "; ")
	}
	if res.WebhookSubscription == nil {
		return "failed: the answer has no subscription"
	}
	return "created"
}
