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
//	cancelsync_sync_attempts_total{adapter,status_class}     PUTs to the platform: 2xx, 3xx, 4xx, 5xx, or error (no answer)
//	cancelsync_sync_duration_seconds{adapter}                time of one PUT, answered or not
//	cancelsync_sync_outcomes_total{adapter,outcome}          versions synced, failed attempts retried, syncs dead-lettered
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
			Help: "PUTs of states to platforms, by adapter and status class (2xx, 3xx, 4xx, 5xx, or error when no answer came).",
		}, []string{"adapter", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cancelsync_sync_duration_seconds",
			Help:    "Time of one PUT to the platform, answered or not.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"adapter"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_outcomes_total",
			Help: "Sync results by adapter: synced (a version acknowledged), retried (a failed attempt to be tried again), dead_lettered (moved to cancelsync dlq).",
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
	for _, o := range []string{OutcomeSynced, OutcomeRetried, OutcomeDeadLettered} {
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
	m.attempts.WithLabelValues(ad.ID, statusClass(err)).Inc()
	m.duration.WithLabelValues(ad.ID).Observe(took.Seconds())
}

func (m *Metrics) syncOutcome(ad *adapters.Adapter, outcome string) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(ad.ID, outcome).Inc()
}

// statusClass is the status_class label of a push's result.
func statusClass(err error) string {
	if err == nil {
		return "2xx"
	}
	var se *adapters.SyncError
	if errors.As(err, &se) && se.Status >= 100 && se.Status < 600 {
		return [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}[se.Status/100-1]
	}
	return "error"
}
