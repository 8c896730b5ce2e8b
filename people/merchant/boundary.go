package merchant

import (
	"context"
	"sort"
	"time"

	"github.com/cancelsync/cancelsync/jobs"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
)

// What the adapter's page shows of its platform boundary (docs/API.md §13,
// docs/OPERATIONS.md "For merchants"): whether the reconciliation poll
// runs, whether the platform still sends its webhooks, and whether the
// live checks at decision time reach the platform. The console reads what
// the poll, the workers and connect recorded; only the Connect button
// talks to the platform, through the same jobs.Connect as the command.

// Boundary is the dashboard's boundary section, for adapters whose
// platform has one (Shopify, WooCommerce).
type Boundary struct {
	// LastPoll is when the last reconciliation poll completed; nil: never.
	LastPoll *time.Time `json:"last_poll"`
	// PollEverySeconds is reconcile.every; 0: the poll is off.
	PollEverySeconds int64 `json:"poll_every_seconds"`
	// Subscriptions are the webhook topics as last seen (by connect or a
	// poll), by topic; empty when never checked.
	Subscriptions []SubscriptionState `json:"subscriptions"`
	CheckedAt     *time.Time          `json:"subscriptions_checked_at"`
	// LiveCheckFailures counts the live checks of the period that could
	// not read the platform; LastLiveCheckFailure is the latest ever.
	LiveCheckFailures    int64                   `json:"live_check_failures"`
	LastLiveCheckFailure *orderstore.LiveFailure `json:"last_live_check_failure"`
	// PublicURLSet says whether Connect can run: it needs public_url.
	PublicURLSet bool `json:"public_url_set"`
}

// SubscriptionState is one webhook topic's state: ok, missing or disabled.
type SubscriptionState struct {
	Topic string `json:"topic"`
	State string `json:"state"`
}

// HasBoundary reports whether ad's platform reads orders and keeps webhook
// subscriptions of its own; only those get the section and Connect.
func HasBoundary(ad *platform.Adapter) bool {
	return ad.Boundary != nil && ad.Boundary.Subscriber != nil
}

func (m *Merchant) publicURL() string {
	if m.o.PublicURL == nil {
		return ""
	}
	return m.o.PublicURL()
}

// boundary reads ad's boundary record, counting live-check failures over
// p; nil for a platform without one.
func (m *Merchant) boundary(ctx context.Context, ad *platform.Adapter, p Period) (*Boundary, error) {
	if !HasBoundary(ad) {
		return nil, nil
	}
	rec, err := m.o.Store.Boundary(ctx, ad.ID)
	if err != nil {
		return nil, err
	}
	b := &Boundary{
		PollEverySeconds:     int64(ad.Boundary.Every / time.Second),
		Subscriptions:        []SubscriptionState{},
		LastLiveCheckFailure: rec.LastLiveFailure,
		PublicURLSet:         m.publicURL() != "",
	}
	if b.LiveCheckFailures, err = m.o.Store.LiveFailures(ctx, ad.ID, p.Since, p.Until); err != nil {
		return nil, err
	}
	if !rec.LastSuccess.IsZero() {
		t := rec.LastSuccess.UTC()
		b.LastPoll = &t
	}
	if !rec.CheckedAt.IsZero() {
		t := rec.CheckedAt.UTC()
		b.CheckedAt = &t
	}
	for topic, state := range rec.Subscriptions {
		b.Subscriptions = append(b.Subscriptions, SubscriptionState{Topic: topic, State: state})
	}
	sort.Slice(b.Subscriptions, func(i, j int) bool { return b.Subscriptions[i].Topic < b.Subscriptions[j].Topic })
	return b, nil
}

// connectTimeout bounds Connect from the console: a few calls to the
// platform, answered within the server's write timeout (30 s).
const connectTimeout = 25 * time.Second

// ErrNoPublicURL is Connect pressed while public_url is not set: the
// error jobs.Connect returns for it.
var ErrNoPublicURL = jobs.ErrNoPublicURL

// ConnectResult is what Connect did, one line per topic as
// cancelsync connect prints them.
type ConnectResult struct {
	Adapter       string        `json:"adapter"`
	Subscriptions []ConnectLine `json:"subscriptions"`
	// Failed says whether any topic could not be put in place.
	Failed bool `json:"failed"`
}

// ConnectLine is one topic: its state as found (ok, missing, disabled)
// and what was done ("created", "ok", "reactivated", "failed: ...").
type ConnectLine struct {
	Topic  string `json:"topic"`
	State  string `json:"state"`
	Result string `json:"result"`
}

// Connect runs cancelsync connect for ad (jobs.Connect). An error is
// ErrNoPublicURL, jobs.ErrNotConnectable for an adapter without HasBoundary,
// or a platform whose subscriptions could not be listed at all.
func (m *Merchant) Connect(ctx context.Context, ad *platform.Adapter) (ConnectResult, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	subs, err := jobs.Connect(ctx, m.o.Store, ad, m.publicURL(), m.o.Now())
	if err != nil {
		return ConnectResult{}, err
	}
	res := ConnectResult{Adapter: ad.ID, Subscriptions: make([]ConnectLine, len(subs)), Failed: jobs.Failed(subs)}
	for i, sub := range subs {
		res.Subscriptions[i] = ConnectLine{Topic: sub.Topic, State: sub.State, Result: sub.Result}
	}
	return res, nil
}
