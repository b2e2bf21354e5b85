package metrics

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// PushBuckets spans a fast push service answer (5 ms) to the send timeout (30 s).
var PushBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Delivery counts sends and batches for a worker: it implements
// delivery.Observer, and the worker's job middleware calls BatchDone. Safe
// for concurrent use.
type Delivery struct {
	deliveries *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	responses  *prometheus.CounterVec
	batches    *prometheus.CounterVec
	waits      *prometheus.CounterVec
}

// NewDelivery registers the delivery metrics on reg.
func NewDelivery(reg prometheus.Registerer) (*Delivery, error) {
	d := &Delivery{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_total",
			Help: "Push sends by result (delivered, gone, retry, failed) and push service; capped counts messages a frequency cap held back, never sent.",
		}, []string{"result", "service"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_push_request_duration_seconds",
			Help:    "Wall time of one push request, by push service.",
			Buckets: PushBuckets,
		}, []string{"service"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_push_responses_total",
			Help: "Push service answers by status class (2xx..5xx; error: no response).",
		}, []string{"service", "class"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_batches_processed_total",
			Help: "Delivery batches handled, by queue and result (ok, error).",
		}, []string{"queue", "result"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_deliveries_waiting_total",
			Help: "Messages made to wait before their send, by reason (quiet_hours, throttle, paced) and push service.",
		}, []string{"reason", "service"}),
	}
	for _, c := range []prometheus.Collector{d.deliveries, d.duration, d.responses, d.batches, d.waits} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register delivery metrics: %w", err)
		}
	}
	return d, nil
}

// Sent records one push request.
func (d *Delivery) Sent(r pushsend.Result) {
	service := string(r.Service)
	if service == "" {
		service = "other"
	}
	d.deliveries.WithLabelValues(r.Outcome.String(), service).Inc()
	d.duration.WithLabelValues(service).Observe(r.Duration.Seconds())
	d.responses.WithLabelValues(service, StatusClass(r.Status)).Inc()
}

// Gated records messages the delivery gates held back (capped: a final
// outcome) or made wait (delivery.GateObserver).
func (d *Delivery) Gated(reason string, service pushendpoint.Service, n int) {
	s := string(service)
	if s == "" {
		s = "other"
	}
	if reason == "capped" {
		d.deliveries.WithLabelValues(reason, s).Add(float64(n))
		return
	}
	d.waits.WithLabelValues(reason, s).Add(float64(n))
}

// BatchDone records one finished batch.
func (d *Delivery) BatchDone(queue string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	d.batches.WithLabelValues(queue, result).Inc()
}

// StatusClass is "2xx".."5xx" for an HTTP status and "error" when no
// response arrived (0) or the status is out of range.
func StatusClass(status int) string {
	if status < 200 || status > 599 {
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}
