package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/syncback"
)

// Metrics are the workers' Prometheus series. A nil *Metrics records nothing.
//
//	cancelsync_decisions_total{adapter,platform,state}       cancellation states reached (one per version)
//	cancelsync_sync_attempts_total{adapter,outcome}          pushes to the platform by result: synced, skipped, retried, dead_lettered
//	cancelsync_sync_duration_seconds{adapter}                time of one push, answered or not
//	cancelsync_sync_outcomes_total{adapter,outcome}          the same results, kept under their former name
//	cancelsync_live_checks_total{adapter,result}             orders read from the platform before a decision: newer, same, failed
//
// Labels hold configured adapter ids, platform names and fixed words only;
// never an order id, request id or anything from a payload.
type Metrics struct {
	decisions *prometheus.CounterVec
	attempts  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	outcomes  *prometheus.CounterVec
	live      *prometheus.CounterVec
}

var _ syncback.Metrics = (*Metrics)(nil)

// NewMetrics registers the workers' series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_decisions_total",
			Help: "Cancellation states reached, by adapter, platform and state; each is one version synced back.",
		}, []string{"adapter", "platform", "state"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_attempts_total",
			Help: "Pushes of states to platforms, by adapter and result: synced, skipped (nothing to send on this platform), retried (failed, tried again), dead_lettered (failed for good).",
		}, []string{"adapter", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cancelsync_sync_duration_seconds",
			Help:    "Time of one PUT to the platform, answered or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"adapter"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_outcomes_total",
			Help: "Sync results by adapter: synced (a version acknowledged), skipped (nothing to send on this platform), retried (a failed attempt to be tried again), dead_lettered (moved to cancelsync dlq).",
		}, []string{"adapter", "outcome"}),
		live: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_live_checks_total",
			Help: "Orders read from the platform just before a decision, by adapter and result: newer (applied first), same (the stored snapshot stood), failed (not read within api.timeout: decided on the stored snapshot).",
		}, []string{"adapter", "result"}),
	}
	reg.MustRegister(m.decisions, m.attempts, m.duration, m.outcomes, m.live)
	return m
}

// initAdapter creates the adapter's outcome series at zero, so that
// increase() and alerts see them before the first sync.
func (m *Metrics) initAdapter(id string) {
	if m == nil {
		return
	}
	for _, o := range []string{syncback.OutcomeSynced, syncback.OutcomeSkipped, syncback.OutcomeRetried, syncback.OutcomeDeadLettered} {
		m.outcomes.WithLabelValues(id, o)
		m.attempts.WithLabelValues(id, o)
	}
}

func (m *Metrics) decided(ad *platform.Adapter, s platform.State) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(ad.ID, ad.Platform, string(s)).Inc()
}

// SyncAttempt counts one push by its result.
func (m *Metrics) SyncAttempt(ad *platform.Adapter, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(ad.ID, outcome).Inc()
	m.outcomes.WithLabelValues(ad.ID, outcome).Inc()
	m.duration.WithLabelValues(ad.ID).Observe(took.Seconds())
}

// liveChecked counts one live check by its result.
func (m *Metrics) liveChecked(ad *platform.Adapter, result string) {
	if m == nil || result == "" {
		return
	}
	m.live.WithLabelValues(ad.ID, result).Inc()
}
