package webhooks

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the ingest counters:
//
//	cancelsync_webhooks_received_total{adapter,kind,status}    every ingest request by answer
//	cancelsync_webhook_duration_seconds{kind}                  ingest latency histogram
//	cancelsync_webhook_duplicates_total{adapter}               re-deliveries answered 200
//	cancelsync_webhook_auth_failures_total{adapter,reason}     401s; reason is signature or timestamp
//
// adapter is a configured adapter id, or "unknown" for a request to an id
// that is not configured, so that a scanner cannot grow the series without
// bound. kind is orders or cancellations; status is the HTTP status code.
// No order id, webhook id or secret is ever a label.
type Metrics struct {
	received     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	duplicates   *prometheus.CounterVec
	authFailures *prometheus.CounterVec
}

// unknownAdapter is the adapter label of a request to an unconfigured id.
const unknownAdapter = "unknown"

// NewMetrics creates the ingest metrics and registers them with reg (nil:
// not registered). Registering twice with one registry panics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		received: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_webhooks_received_total",
			Help: "Inbound webhook requests by adapter, kind and HTTP status.",
		}, []string{"adapter", "kind", "status"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cancelsync_webhook_duration_seconds",
			Help: "Time to answer an inbound webhook, enqueue included.",
			// Finer than the defaults below 10ms, where the target p99 is.
			Buckets: []float64{.0005, .001, .0025, .005, .0075, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"kind"}),
		duplicates: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_webhook_duplicates_total",
			Help: "Inbound webhooks whose webhook-id was already accepted.",
		}, []string{"adapter"}),
		authFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_webhook_auth_failures_total",
			Help: "Inbound webhooks refused with 401, by reason (signature or timestamp).",
		}, []string{"adapter", "reason"}),
	}
}

// initAdapter creates the per-adapter series at zero so that rate() and
// alerts see them before the first event.
func (m *Metrics) initAdapter(id string) {
	if m == nil {
		return
	}
	m.duplicates.WithLabelValues(id)
	m.authFailures.WithLabelValues(id, reasonSignature)
	m.authFailures.WithLabelValues(id, reasonTimestamp)
}

func (m *Metrics) observe(adapter, kind string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.received.WithLabelValues(adapter, kind, statusLabel(status)).Inc()
	m.duration.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *Metrics) duplicate(adapter string) {
	if m == nil {
		return
	}
	m.duplicates.WithLabelValues(adapter).Inc()
}

const (
	reasonSignature = "signature"
	reasonTimestamp = "timestamp"
)

func (m *Metrics) authFailure(adapter, reason string) {
	if m == nil {
		return
	}
	m.authFailures.WithLabelValues(adapter, reason).Inc()
}

// statusLabel spares an allocation for the statuses ingest answers.
func statusLabel(status int) string {
	switch status {
	case 200:
		return "200"
	case 202:
		return "202"
	case 400:
		return "400"
	case 401:
		return "401"
	case 404:
		return "404"
	case 413:
		return "413"
	case 415:
		return "415"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	return strconv.Itoa(status)
}
