package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/order"
	"github.com/cancelsync/cancelsync/orderstore"
	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/tasks"
)

// The reconciliation poller (docs/API.md §13): webhooks get lost, arrive
// late or are switched off, so every reconcile.every one process per
// adapter lists the orders the platform updated since its last poll (less
// reconcile.overlap) and hands each one newer than the stored snapshot to
// the intake, exactly as its webhook would have been: the same transition,
// under a delivery id of its own that dedups a second sighting. One
// process at a time per adapter holds a lease in Redis; the high-water
// mark is in Redis too, so it survives restarts and changes of hands.

const (
	// ReconcileLeaseTTL is how long a killed process keeps an adapter's
	// poll from the others; a stopped one releases it at once.
	ReconcileLeaseTTL = 15 * time.Second
	// reconcileTick is how often leases are renewed and due polls looked
	// for: well inside the lease.
	reconcileTick = 5 * time.Second
)

// Reconciled results, the label values of cancelsync_reconciled_orders_total.
const (
	ReconcileApplied   = "applied"   // newer than the stored snapshot: applied as its webhook would be
	ReconcileUnchanged = "unchanged" // no newer than the stored snapshot, or already applied
	ReconcileNew       = "new"       // never seen before: stored
)

// Enqueuer makes a delivery durable as ingest does (Intake).
type Enqueuer interface {
	Enqueue(ctx context.Context, d tasks.Delivery) (duplicate bool, err error)
}

// Reconciler runs the polls of the adapters this process may poll.
type Reconciler struct {
	store     *orderstore.Store
	intake    Enqueuer
	adapters  func() []*platform.Adapter
	publicURL func() string
	now       func() time.Time
	log       *slog.Logger
	metrics   *ReconcileMetrics
	token     string
	tick      time.Duration
}

// ReconcilerOptions configure a Reconciler.
type ReconcilerOptions struct {
	// Adapters lists the current adapters (a live set's); those without a
	// Boundary or with reconcile.every 0 are not polled.
	Adapters func() []*platform.Adapter
	// PublicURL gives where platforms reach this service (public_url, as
	// reloaded); with it, each poll also checks the webhook subscriptions
	// and re-activates disabled WooCommerce webhooks. nil: never.
	PublicURL  func() string
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger     // default slog.Default()
	Registerer prometheus.Registerer
}

// NewReconciler polls through intake, keeping its state in store.
func NewReconciler(store *orderstore.Store, intake Enqueuer, o ReconcilerOptions) *Reconciler {
	r := &Reconciler{
		store: store, intake: intake, adapters: o.Adapters, publicURL: o.PublicURL,
		now: o.Now, log: o.Logger, token: orderstore.NewToken(), tick: reconcileTick,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.publicURL == nil {
		r.publicURL = func() string { return "" }
	}
	if o.Registerer != nil {
		r.metrics = NewReconcileMetrics(o.Registerer)
	}
	return r
}

// Run polls until ctx is done, then gives back every lease it holds.
func (r *Reconciler) Run(ctx context.Context) {
	held := map[string]bool{}
	defer func() {
		bg := context.WithoutCancel(ctx)
		for id := range held {
			_ = r.store.ReleaseReconcileLease(bg, id, r.token)
		}
	}()
	for {
		tick := r.tick
		for _, ad := range r.adapters() {
			b := ad.Boundary
			if b == nil || b.Reader == nil || b.Every <= 0 {
				continue
			}
			tick = min(tick, b.Every)
			ok, err := r.store.ReconcileLease(ctx, ad.ID, r.token, ReconcileLeaseTTL)
			if err != nil || !ok {
				delete(held, ad.ID)
				continue
			}
			held[ad.ID] = true
			r.pollIfDue(ctx, ad)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

// pollIfDue polls ad when its last successful poll is reconcile.every ago.
func (r *Reconciler) pollIfDue(ctx context.Context, ad *platform.Adapter) {
	st, err := r.store.Boundary(ctx, ad.ID)
	if err != nil {
		r.log.WarnContext(ctx, "reconcile: read state", slog.String("adapter", ad.ID), slog.String("error", err.Error()))
		return
	}
	if !st.LastSuccess.IsZero() && r.now().Sub(st.LastSuccess) < ad.Boundary.Every {
		return
	}
	if err := r.Poll(ctx, ad, st.Mark); err != nil && ctx.Err() == nil {
		r.log.WarnContext(ctx, "reconcile: poll failed; the next one starts from the same mark",
			slog.String("adapter", ad.ID), slog.String("error", err.Error()))
	}
}

// Poll runs one poll of ad from mark (zero: now), keeping the lease while
// it runs, and advances the mark only when every order was handed over.
func (r *Reconciler) Poll(ctx context.Context, ad *platform.Adapter, mark time.Time) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var keep sync.WaitGroup
	keep.Go(func() { r.keepLease(ctx, cancel, ad.ID) })
	defer keep.Wait()
	defer cancel(nil)

	start := r.now()
	if mark.IsZero() {
		mark = start
	}
	since := mark.Add(-ad.Boundary.Overlap)
	counts := map[string]int{}
	err := ad.Boundary.Reader.UpdatedSince(ctx, since, func(page []*platform.Order) error {
		for _, o := range page {
			res, err := r.apply(ctx, ad, o)
			if err != nil {
				return err
			}
			counts[res]++
			r.metrics.reconciled(ad.ID, res)
		}
		return nil
	})
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
		return err
	}
	done := r.now()
	if err := r.store.AdvanceMark(ctx, ad.ID, r.token, start, done); err != nil {
		return err
	}
	r.metrics.succeeded(ad.ID, done)
	r.log.InfoContext(ctx, "reconciled", slog.String("adapter", ad.ID), slog.Time("since", since),
		slog.Int(ReconcileApplied, counts[ReconcileApplied]), slog.Int(ReconcileNew, counts[ReconcileNew]),
		slog.Int(ReconcileUnchanged, counts[ReconcileUnchanged]))
	r.checkSubscriptions(ctx, ad)
	return nil
}

// keepLease renews the lease while a poll runs; a lost lease stops it.
func (r *Reconciler) keepLease(ctx context.Context, stop context.CancelCauseFunc, adapterID string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(ReconcileLeaseTTL / 3):
		}
		if ok, err := r.store.ReconcileLease(ctx, adapterID, r.token, ReconcileLeaseTTL); err == nil && !ok {
			stop(orderstore.ErrLeaseLost)
			return
		}
	}
}

// apply hands o to the intake when it is newer than the stored snapshot.
func (r *Reconciler) apply(ctx context.Context, ad *platform.Adapter, o *platform.Order) (string, error) {
	doc, err := r.store.Load(ctx, ad.ID, o.ID)
	if err != nil && !errors.Is(err, orderstore.ErrUnreadable) {
		return "", err
	}
	if doc != nil && !order.Newer(o, doc) {
		return ReconcileUnchanged, nil
	}
	res, typ := ReconcileApplied, platform.OrderUpdated
	if doc != nil && doc.Order == nil {
		res, typ = ReconcileNew, platform.OrderCreated
		if len(doc.Requests) > 0 {
			typ = platform.OrderUpdated // a request waits for it: not a blind create
		}
	}
	dup, err := r.intake.Enqueue(ctx, tasks.Delivery{
		AdapterID: ad.ID, WebhookID: ReconcileDeliveryID(o), ReceivedAt: r.now(),
		Event: platform.Event{Type: typ, Order: o},
	})
	if err != nil {
		return "", err
	}
	if dup {
		return ReconcileUnchanged, nil
	}
	return res, nil
}

// ReconcileDeliveryID is the delivery id under which the poll applies one
// version of an order: a second sighting of it (the overlap, another
// process) is a duplicate.
func ReconcileDeliveryID(o *platform.Order) string {
	return "reconcile:" + o.ID + ":" + o.UpdatedAt.UTC().Format(time.RFC3339Nano)
}

// checkSubscriptions looks at the adapter's webhook subscriptions after a
// poll, re-activating disabled ones, and records what it saw.
func (r *Reconciler) checkSubscriptions(ctx context.Context, ad *platform.Adapter) {
	sub := ad.Boundary.Subscriber
	public := r.publicURL()
	if sub == nil || public == "" {
		return
	}
	subs, err := sub.Subscriptions(ctx, OrdersURL(public, ad.ID), platform.Reactivate)
	if err != nil {
		r.log.WarnContext(ctx, "reconcile: webhook subscriptions", slog.String("adapter", ad.ID), slog.String("error", err.Error()))
		return
	}
	states := map[string]string{}
	for _, s := range subs {
		state := s.State
		if s.Result == "reactivated" {
			state = platform.SubscriptionOK
			r.log.InfoContext(ctx, "webhook re-activated", slog.String("adapter", ad.ID), slog.String("topic", s.Topic))
		}
		states[s.Topic] = state
	}
	r.metrics.subscriptions(ad.ID, states)
	if err := r.store.SaveSubscriptions(ctx, ad.ID, states, r.now()); err != nil {
		r.log.WarnContext(ctx, "reconcile: save subscriptions", slog.String("adapter", ad.ID), slog.String("error", err.Error()))
	}
}

// OrdersURL is where the platform sends the adapter's order webhooks.
func OrdersURL(publicURL, adapterID string) string {
	for len(publicURL) > 0 && publicURL[len(publicURL)-1] == '/' {
		publicURL = publicURL[:len(publicURL)-1]
	}
	return publicURL + "/webhooks/" + adapterID + "/orders"
}
