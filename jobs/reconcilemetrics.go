package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/platform"
)

// ReconcileMetrics are the poll's series. A nil *ReconcileMetrics records
// nothing.
//
//	cancelsync_reconciled_orders_total{adapter,result}          orders the poll listed: applied, unchanged, new
//	cancelsync_reconcile_last_success_timestamp_seconds{adapter} when this process last completed a poll
//	cancelsync_webhook_subscriptions{adapter,state}             topics by state as the last poll saw them: ok, missing, disabled
type ReconcileMetrics struct {
	orders  *prometheus.CounterVec
	success *prometheus.GaugeVec
	subs    *prometheus.GaugeVec
}

// NewReconcileMetrics registers the poll's series on reg.
func NewReconcileMetrics(reg prometheus.Registerer) *ReconcileMetrics {
	m := &ReconcileMetrics{
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cancelsync_reconciled_orders_total",
			Help: "Orders the reconciliation poll listed, by adapter and result: applied (newer than the stored snapshot), unchanged, new (never seen before).",
		}, []string{"adapter", "result"}),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cancelsync_reconcile_last_success_timestamp_seconds",
			Help: "Unix time of the last reconciliation poll this process completed, by adapter.",
		}, []string{"adapter"}),
		subs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cancelsync_webhook_subscriptions",
			Help: "The platform's webhook subscriptions cancelsync needs, by adapter and state (ok, missing, disabled), as the last poll saw them.",
		}, []string{"adapter", "state"}),
	}
	reg.MustRegister(m.orders, m.success, m.subs)
	return m
}

func (m *ReconcileMetrics) reconciled(adapterID, result string) {
	if m != nil {
		m.orders.WithLabelValues(adapterID, result).Inc()
	}
}

func (m *ReconcileMetrics) succeeded(adapterID string, at time.Time) {
	if m != nil {
		m.success.WithLabelValues(adapterID).Set(float64(at.UnixMilli()) / 1000)
	}
}

func (m *ReconcileMetrics) subscriptions(adapterID string, states map[string]string) {
	if m == nil {
		return
	}
	n := map[string]int{}
	for _, s := range states {
		n[s]++
	}
	for _, s := range []string{platform.SubscriptionOK, platform.SubscriptionMissing, platform.SubscriptionDisabled} {
		m.subs.WithLabelValues(adapterID, s).Set(float64(n[s]))
	}
}
