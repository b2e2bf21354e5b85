package opsstats

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes a Source to Prometheus. It reads the Source's caches,
// so a scrape costs nothing more than the cache refreshes it may trigger.
type Collector struct {
	source *Source
	log    *slog.Logger

	notifications, subscriptions, deadLetters, queueSize, queueLatency, processed, failed, workers *prometheus.Desc
}

// NewCollector returns a collector over s; read failures are logged and the
// affected metrics left out of that scrape.
func NewCollector(s *Source, log *slog.Logger) *Collector {
	desc := prometheus.NewDesc
	return &Collector{
		source:        s,
		log:           log,
		notifications: desc("herald_notifications", "Notifications by status.", []string{"status"}, nil),
		subscriptions: desc("herald_subscriptions", "Subscriptions by status.", []string{"status"}, nil),
		deadLetters:   desc("herald_dead_letters", "Dead letters not yet retried.", nil, nil),
		queueSize:     desc("herald_queue_size", "Tasks in an asynq queue by state.", []string{"queue", "state"}, nil),
		queueLatency:  desc("herald_queue_latency_seconds", "Age of the oldest pending task.", []string{"queue"}, nil),
		processed:     desc("herald_queue_processed_total", "Tasks processed by the queue's workers since it was created.", []string{"queue"}, nil),
		failed:        desc("herald_queue_failed_total", "Tasks whose handler failed since the queue was created.", []string{"queue"}, nil),
		workers:       desc("herald_workers", "asynq job servers alive (three per worker process).", nil, nil),
	}
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.notifications, c.subscriptions, c.deadLetters, c.queueSize,
		c.queueLatency, c.processed, c.failed, c.workers} {
		ch <- d
	}
}

// Collect sends the cached figures.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.source.Counts(ctx); err != nil {
		c.log.Warn("metrics: database counts", "err", err)
	} else {
		for status, n := range counts.Notifications {
			ch <- prometheus.MustNewConstMetric(c.notifications, prometheus.GaugeValue, float64(n), status)
		}
		for status, n := range counts.Subscriptions {
			ch <- prometheus.MustNewConstMetric(c.subscriptions, prometheus.GaugeValue, float64(n), status)
		}
		ch <- prometheus.MustNewConstMetric(c.deadLetters, prometheus.GaugeValue, float64(counts.DeadLetters))
	}
	qs, err := c.source.Queues(ctx)
	if err != nil {
		c.log.Warn("metrics: queue figures", "err", err)
		return
	}
	for _, q := range qs.Queues {
		for state, n := range map[string]int{"pending": q.Pending, "active": q.Active, "scheduled": q.Scheduled,
			"retry": q.Retry, "archived": q.Archived} {
			ch <- prometheus.MustNewConstMetric(c.queueSize, prometheus.GaugeValue, float64(n), q.Name, state)
		}
		ch <- prometheus.MustNewConstMetric(c.queueLatency, prometheus.GaugeValue, q.Latency.Seconds(), q.Name)
		ch <- prometheus.MustNewConstMetric(c.processed, prometheus.CounterValue, float64(q.Processed), q.Name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(q.Failed), q.Name)
	}
	ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(qs.Workers))
}
