package jobs

import (
	"errors"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	queueSizeDesc = prometheus.NewDesc("cancelsync_queue_tasks",
		"Tasks in each queue by state (pending, active, scheduled, retry, archived).", []string{"queue", "state"}, nil)
	deadLetterDesc = prometheus.NewDesc("cancelsync_dead_letter_size",
		"Sync jobs in the dead letter (cancelsync dlq list).", nil, nil)
)

// QueueCollector reports queue sizes and the dead letter's size from Redis
// at scrape time, so every process of a fleet reports the same figures.
type QueueCollector struct {
	inspector *asynq.Inspector
}

// NewQueueCollector reports on d's Redis.
func NewQueueCollector(d *DeadLetters) *QueueCollector {
	return &QueueCollector{inspector: d.inspector}
}

var _ prometheus.Collector = (*QueueCollector)(nil)

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueSizeDesc
	ch <- deadLetterDesc
}

// Collect implements prometheus.Collector. A queue not created yet counts as
// empty; an unreachable Redis reports nothing rather than zeros.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	dead := 0
	for _, q := range []string{QueueEvents, QueueSync} {
		info, err := c.inspector.GetQueueInfo(q)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			info, err = &asynq.QueueInfo{}, nil
		}
		if err != nil {
			return
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled, "retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(queueSizeDesc, prometheus.GaugeValue, float64(n), q, state)
		}
		if q == QueueSync {
			dead = info.Archived
		}
	}
	ch <- prometheus.MustNewConstMetric(deadLetterDesc, prometheus.GaugeValue, float64(dead))
}
