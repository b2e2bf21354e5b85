package deploy

import "strings"

// Process names which Herald process exports a metric.
type Process string

const (
	ProcessAPI    Process = "api"    // herald-api only
	ProcessWorker Process = "worker" // herald-worker only
	ProcessBoth   Process = "both"   // herald-api and herald-worker
)

// Metric is one metric family the deployment files rely on.
type Metric struct {
	Name    string
	Type    string // counter, gauge, histogram or summary
	Labels  []string
	Process Process
}

// Metrics lists every metric family the Grafana dashboard, the alert rules
// and the KEDA trigger under deploy/ may use. The deploy tests check that
// every query only names metrics (and labels) from this list; the metrics
// tests of herald-api and herald-worker check their real /metrics output
// against it, so a renamed metric breaks a test instead of a dashboard.
var Metrics = []Metric{
	// herald-worker: deliveries and push services.
	{"herald_deliveries_total", "counter", []string{"result", "service"}, ProcessWorker},
	{"herald_push_request_duration_seconds", "histogram", []string{"service"}, ProcessWorker},
	{"herald_push_responses_total", "counter", []string{"service", "class"}, ProcessWorker},
	{"herald_batches_processed_total", "counter", []string{"queue", "result"}, ProcessWorker},
	{"herald_push_service_backoff_seconds", "gauge", []string{"service"}, ProcessWorker},
	{"herald_push_service_backoffs_total", "counter", []string{"service"}, ProcessWorker},
	{"herald_worker_sends_limit", "gauge", nil, ProcessWorker},
	{"herald_worker_sends_in_flight", "gauge", nil, ProcessWorker},

	// Both processes: database and queue state.
	{"herald_notifications", "gauge", []string{"status"}, ProcessBoth},
	{"herald_subscriptions", "gauge", []string{"status"}, ProcessBoth},
	{"herald_dead_letters", "gauge", nil, ProcessBoth},
	{"herald_queue_size", "gauge", []string{"queue", "state"}, ProcessBoth},
	{"herald_queue_latency_seconds", "gauge", []string{"queue"}, ProcessBoth},
	{"herald_queue_processed_total", "counter", []string{"queue"}, ProcessBoth},
	{"herald_queue_failed_total", "counter", []string{"queue"}, ProcessBoth},
	{"herald_workers", "gauge", nil, ProcessBoth},

	// herald-api: HTTP.
	{"herald_http_requests_total", "counter", []string{"route", "method", "code"}, ProcessAPI},
	{"herald_http_request_duration_seconds", "histogram", []string{"route"}, ProcessAPI},

	// Go runtime and process collectors (client_golang defaults).
	{"go_goroutines", "gauge", nil, ProcessBoth},
	{"go_threads", "gauge", nil, ProcessBoth},
	{"go_memstats_heap_alloc_bytes", "gauge", nil, ProcessBoth},
	{"go_gc_duration_seconds", "summary", []string{"quantile"}, ProcessBoth},
	{"process_resident_memory_bytes", "gauge", nil, ProcessBoth},
	{"process_cpu_seconds_total", "counter", nil, ProcessBoth},
	{"process_open_fds", "gauge", nil, ProcessBoth},
}

// Queues are Herald's asynq queue names, the values of the queue label.
var Queues = []string{"herald:critical", "herald:default", "herald:bulk"}

// Label values the dashboards and alerts match on.
var (
	DeliveryResults = []string{"delivered", "gone", "retry", "failed"}
	ResponseClasses = []string{"2xx", "3xx", "4xx", "5xx", "error"}
)

// targetLabels are on every scraped series: job and instance from
// Prometheus, namespace from the scrape configs under deploy/prometheus and
// the ServiceMonitors (the installation: production and staging may share
// one Prometheus).
var targetLabels = []string{"job", "instance", "namespace"}

// LookupSeries finds the family a series name belongs to: the family's own
// name, or a histogram's _bucket, _sum and _count series (a summary's _sum
// and _count). The returned labels include those the series carries
// because of its type (le, quantile) and Prometheus' job and instance.
func LookupSeries(series string) (Metric, []string, bool) {
	for _, m := range Metrics {
		labels := append(append([]string{}, m.Labels...), targetLabels...)
		if series == m.Name {
			return m, labels, true
		}
		if m.Type != "histogram" && m.Type != "summary" {
			continue
		}
		suffix, ok := strings.CutPrefix(series, m.Name)
		if !ok {
			continue
		}
		switch {
		case suffix == "_sum" || suffix == "_count":
			return m, labels, true
		case suffix == "_bucket" && m.Type == "histogram":
			return m, append(labels, "le"), true
		}
	}
	return Metric{}, nil, false
}
