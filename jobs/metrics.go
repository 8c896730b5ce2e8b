package jobs

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/adapters"
)

// Metrics are the workers' Prometheus series. A nil *Metrics records nothing.
//
//	cancelsync_decisions_total{adapter,platform,state}      cancellation states reached
//	cancelsync_sync_attempts_total{adapter,outcome}          pushes by outcome: 2xx, 4xx, 5xx, error
type Metrics struct {
	decisions *prometheus.CounterVec
	syncs     *prometheus.CounterVec
}

// NewMetrics registers the workers' series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_decisions_total", Help: "Cancellation states reached, by adapter, platform and state.",
		}, []string{"adapter", "platform", "state"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_sync_attempts_total", Help: "Pushes of states back to platforms, by adapter and outcome (2xx, 4xx, 5xx, error).",
		}, []string{"adapter", "outcome"}),
	}
	reg.MustRegister(m.decisions, m.syncs)
	return m
}

func (m *Metrics) decided(ad *adapters.Adapter, s adapters.State) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(ad.ID, ad.Platform, string(s)).Inc()
}

func (m *Metrics) syncAttempt(ad *adapters.Adapter, err error) {
	if m == nil {
		return
	}
	outcome := "2xx"
	var se *adapters.SyncError
	switch {
	case err == nil:
	case errors.As(err, &se) && se.Status != 0:
		outcome = strconv.Itoa(se.Status/100) + "xx"
	default:
		outcome = "error"
	}
	m.syncs.WithLabelValues(ad.ID, outcome).Inc()
}
