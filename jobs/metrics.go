package jobs

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/adapters"
)

// Metrics are the workers' Prometheus series. A nil *Metrics records nothing.
//
//	cancelsync_decisions_total{adapter,platform,state}       cancellation states reached (one per version)
//	cancelsync_sync_attempts_total{adapter,result}           pushes to the platform: ok, skipped, retryable or permanent
//	cancelsync_sync_duration_seconds{adapter}                time of one push, answered or not
//	cancelsync_sync_outcomes_total{adapter,outcome}          versions synced or skipped, failed attempts retried, syncs dead-lettered
//
// Labels hold configured adapter ids, platform names and fixed words only;
// never an order id, request id or anything from a payload.
type Metrics struct {
	decisions *prometheus.CounterVec
	attempts  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	outcomes  *prometheus.CounterVec
}

// Sync outcomes, the values of cancelsync_sync_outcomes_total's outcome.
const (
	// OutcomeSynced counts versions the platform acknowledged.
	OutcomeSynced = "synced"
	// OutcomeSkipped counts versions whose state the platform takes no
	// call for (Shopify: every state but cancelled).
	OutcomeSkipped = "skipped"
	// OutcomeRetried counts failed attempts that will be tried again.
	OutcomeRetried = "retried"
	// OutcomeDeadLettered counts syncs moved to the dead letter: a
	// permanent error or the last of max_attempts.
	OutcomeDeadLettered = "dead_lettered"
)

// NewMetrics registers the workers' series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_decisions_total",
			Help: "Cancellation states reached, by adapter, platform and state; each is one version synced back.",
		}, []string{"adapter", "platform", "state"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_attempts_total",
			Help: "Pushes of states to platforms, by adapter and result (ok, skipped: nothing to send for the state, retryable, permanent).",
		}, []string{"adapter", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cancelsync_sync_duration_seconds",
			Help:    "Time of one push to the platform, answered or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"adapter"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_outcomes_total",
			Help: "Sync results by adapter: synced (a version acknowledged), skipped (nothing to send for the state), retried (a failed attempt to be tried again), dead_lettered (moved to cancelsync dlq).",
		}, []string{"adapter", "outcome"}),
	}
	reg.MustRegister(m.decisions, m.attempts, m.duration, m.outcomes)
	return m
}

// initAdapter creates the adapter's outcome series at zero, so that
// increase() and alerts see them before the first sync.
func (m *Metrics) initAdapter(id string) {
	if m == nil {
		return
	}
	for _, o := range []string{OutcomeSynced, OutcomeSkipped, OutcomeRetried, OutcomeDeadLettered} {
		m.outcomes.WithLabelValues(id, o)
	}
}

func (m *Metrics) decided(ad *adapters.Adapter, s adapters.State) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(ad.ID, ad.Platform, string(s)).Inc()
}

func (m *Metrics) syncAttempt(ad *adapters.Adapter, err error, took time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(ad.ID, pushResult(err)).Inc()
	m.duration.WithLabelValues(ad.ID).Observe(took.Seconds())
}

func (m *Metrics) syncOutcome(ad *adapters.Adapter, outcome string) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(ad.ID, outcome).Inc()
}

// pushResult is the result label of a push: an outcome, never a protocol's
// status code.
func pushResult(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, adapters.ErrNothingToSend) {
		return "skipped"
	}
	var se *adapters.SyncError
	if errors.As(err, &se) && !se.Retryable {
		return "permanent"
	}
	return "retryable"
}
