package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cancelsync/cancelsync/syncback"
)

var deadLetterDesc = prometheus.NewDesc("cancelsync_dead_letter_size",
	"Sync jobs in the dead letter (cancelsync dlq list), counted exactly from its record, which has no size cap.", nil, nil)

// DeadLetterCollector reports the dead letter's size from Redis at scrape
// time, so every process of a fleet reports the same figure. tasks.Queue sizes
// by state come from QueueCollector (asynq_* series), which the
// service registers beside it.
type DeadLetterCollector struct {
	letters *syncback.DeadLetters
	timeout time.Duration
}

// NewDeadLetterCollector reports on d's Redis.
func NewDeadLetterCollector(d *syncback.DeadLetters) *DeadLetterCollector {
	return &DeadLetterCollector{letters: d, timeout: 2 * time.Second}
}

var _ prometheus.Collector = (*DeadLetterCollector)(nil)

// Describe implements prometheus.Collector.
func (c *DeadLetterCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- deadLetterDesc
}

// Collect implements prometheus.Collector. An unreachable Redis reports
// nothing rather than a zero that would look like an empty dead letter.
func (c *DeadLetterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	n, err := c.letters.Size(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(deadLetterDesc, prometheus.GaugeValue, float64(n))
}
