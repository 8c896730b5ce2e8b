package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cancelsync/cancelsync/internal/accesslog"
	"github.com/cancelsync/cancelsync/internal/problem"
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

// hasBoundary reports whether ad's platform reads orders and keeps webhook
// subscriptions of its own; only those get the section and Connect.
func hasBoundary(ad *platform.Adapter) bool {
	return ad.Boundary != nil && ad.Boundary.Subscriber != nil
}

func (c *Console) publicURL() string {
	if c.o.PublicURL == nil {
		return ""
	}
	return c.o.PublicURL()
}

// boundary reads ad's boundary record, counting live-check failures over
// p; nil for a platform without one.
func (c *Console) boundary(ctx context.Context, ad *platform.Adapter, p period) (*Boundary, error) {
	if !hasBoundary(ad) {
		return nil, nil
	}
	rec, err := c.o.Store.Boundary(ctx, ad.ID)
	if err != nil {
		return nil, err
	}
	b := &Boundary{
		PollEverySeconds:     int64(ad.Boundary.Every / time.Second),
		Subscriptions:        []SubscriptionState{},
		LastLiveCheckFailure: rec.LastLiveFailure,
		PublicURLSet:         c.publicURL() != "",
	}
	if b.LiveCheckFailures, err = c.o.Store.LiveFailures(ctx, ad.ID, p.since, p.until); err != nil {
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

// errNoPublicURL is Connect pressed while public_url is not set;
// publicURLHelp says what to do about it, on the page and by the button.
var errNoPublicURL = errors.New("public_url is not set: it is where the platform sends webhooks ({public_url}/webhooks/{adapter}/orders)")

const publicURLHelp = "Connect needs public_url: set it in the config to the address at which the platform reaches this service (for example https://cancelsync.example.com), reload the config, then press Connect."

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

// connect runs cancelsync connect for ad. An error is errNoPublicURL, or
// a platform whose subscriptions could not be listed at all.
func (c *Console) connect(ctx context.Context, ad *platform.Adapter) (ConnectResult, error) {
	pub := c.publicURL()
	if pub == "" {
		return ConnectResult{}, errNoPublicURL
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	subs, err := jobs.Connect(ctx, c.o.Store, ad, pub, c.o.Now())
	if err != nil {
		return ConnectResult{}, err
	}
	res := ConnectResult{Adapter: ad.ID, Subscriptions: make([]ConnectLine, len(subs)), Failed: jobs.Failed(subs)}
	for i, sub := range subs {
		res.Subscriptions[i] = ConnectLine{Topic: sub.Topic, State: sub.State, Result: sub.Result}
	}
	return res, nil
}

// connectData is the Connect result page's data.
type connectData struct {
	ConnectResult
	Platform string
}

func (c *Console) connectPost(ctx *gin.Context) {
	ad := adapterOf(ctx)
	if !hasBoundary(ad) {
		accesslog.Refuse(ctx, "not_connectable")
		c.render(ctx, http.StatusNotFound, "message.html", c.base(ctx, "Not found", nil))
		return
	}
	back := "/console/adapters/" + url.PathEscape(ad.ID)
	res, err := c.connect(ctx.Request.Context(), ad)
	if err != nil {
		v := c.base(ctx, "Not connected", ad)
		v.Back = back
		status := http.StatusBadGateway
		v.Error = "Could not read the webhooks from " + platformName(ad.Platform) + ": " + err.Error() + ". Nothing was changed; try again in a moment."
		if errors.Is(err, errNoPublicURL) {
			status, v.Error = http.StatusConflict, publicURLHelp
			accesslog.Refuse(ctx, "no_public_url")
		} else {
			accesslog.Refuse(ctx, "platform_unavailable")
		}
		c.render(ctx, status, "message.html", v)
		return
	}
	v := c.base(ctx, ad.ID+": webhooks", ad)
	v.Back = back
	v.Data = connectData{ConnectResult: res, Platform: platformName(ad.Platform)}
	c.render(ctx, http.StatusOK, "connect.html", v)
}

func (c *Console) apiConnect(ctx *gin.Context) {
	ad := adapterOf(ctx)
	if !hasBoundary(ad) {
		accesslog.Refuse(ctx, "not_connectable")
		problem.Write(ctx, http.StatusNotFound, problem.NotFound, "this adapter's platform has no webhook subscriptions to manage")
		return
	}
	res, err := c.connect(ctx.Request.Context(), ad)
	switch {
	case errors.Is(err, errNoPublicURL):
		accesslog.Refuse(ctx, "no_public_url")
		problem.Write(ctx, http.StatusConflict, problem.NotConfigured, errNoPublicURL.Error())
	case err != nil:
		accesslog.Refuse(ctx, "platform_unavailable")
		problem.Write(ctx, http.StatusBadGateway, problem.PlatformError, err.Error())
	default:
		ctx.JSON(http.StatusOK, res)
	}
}

// platformName is how the page names a platform.
func platformName(p string) string {
	switch p {
	case "shopify":
		return "Shopify"
	case "woocommerce":
		return "WooCommerce"
	}
	return p
}

// connectWords is a connect line in words: "created" is "Created",
// "failed: …" is "Failed: …".
func connectWords(result string) string {
	if rest, ok := strings.CutPrefix(result, "failed: "); ok {
		return "Failed: " + rest
	}
	return word("connect", result)
}
