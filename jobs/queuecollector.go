package jobs

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector reports each Asynq queue's tasks from Redis at scrape
// time. It replaces asynq's x/metrics collector, whose series are the same
// but for two gauges named like counters (asynq_tasks_enqueued_total,
// asynq_queue_paused_total), which Prometheus' linters refuse: here they are
// asynq_queue_tasks and asynq_queue_paused (docs/OPERATIONS.md, Metrics).
// The other names are asynq's, which asynqmon's graphs query.
type QueueCollector struct {
	inspector *asynq.Inspector
}

// NewQueueCollector reports on the queues inspector sees.
func NewQueueCollector(inspector *asynq.Inspector) *QueueCollector {
	return &QueueCollector{inspector: inspector}
}

var _ prometheus.Collector = (*QueueCollector)(nil)

var (
	queueTasksDesc = prometheus.NewDesc("asynq_queue_tasks",
		"Tasks in a queue, by state (pending, active, scheduled, retry, archived, completed).",
		[]string{"queue", "state"}, nil)
	queueSizeDesc = prometheus.NewDesc("asynq_queue_size",
		"Tasks in a queue, every state but completed.", []string{"queue"}, nil)
	queueLatencyDesc = prometheus.NewDesc("asynq_queue_latency_seconds",
		"Age of the oldest pending task of a queue.", []string{"queue"}, nil)
	queueMemoryDesc = prometheus.NewDesc("asynq_queue_memory_usage_approx_bytes",
		"Redis memory of a queue, approximated by sampling.", []string{"queue"}, nil)
	queueProcessedDesc = prometheus.NewDesc("asynq_tasks_processed_total",
		"Tasks processed, failed or not.", []string{"queue"}, nil)
	queueFailedDesc = prometheus.NewDesc("asynq_tasks_failed_total",
		"Task runs that failed.", []string{"queue"}, nil)
	queuePausedDesc = prometheus.NewDesc("asynq_queue_paused",
		"1 while the queue is paused, else 0.", []string{"queue"}, nil)
)

// Describe implements prometheus.Collector without asking Redis, so
// registering the collector needs no connection.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{queueTasksDesc, queueSizeDesc, queueLatencyDesc,
		queueMemoryDesc, queueProcessedDesc, queueFailedDesc, queuePausedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Every queue is read before any
// series is sent: an unreachable Redis reports nothing rather than some
// queues, or zeros that would look like empty queues.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	names, err := c.inspector.Queues()
	if err != nil {
		return
	}
	infos := make([]*asynq.QueueInfo, 0, len(names))
	for _, q := range names {
		info, err := c.inspector.GetQueueInfo(q)
		if err != nil {
			return
		}
		infos = append(infos, info)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, info := range infos {
		q := info.Queue
		for _, s := range []struct {
			state string
			n     int
		}{
			{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled},
			{"retry", info.Retry}, {"archived", info.Archived}, {"completed", info.Completed},
		} {
			gauge(queueTasksDesc, float64(s.n), q, s.state)
		}
		gauge(queueSizeDesc, float64(info.Size), q)
		gauge(queueLatencyDesc, info.Latency.Seconds(), q)
		gauge(queueMemoryDesc, float64(info.MemoryUsage), q)
		ch <- prometheus.MustNewConstMetric(queueProcessedDesc, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(queueFailedDesc, prometheus.CounterValue, float64(info.FailedTotal), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		gauge(queuePausedDesc, paused, q)
	}
}
