package metrics

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP counts an API's requests by route template (never the raw path, so
// ids do not explode the label set).
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	refused  *prometheus.CounterVec
}

// NewHTTP registers the HTTP metrics on reg.
func NewHTTP(reg prometheus.Registerer) (*HTTP, error) {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_http_requests_total",
			Help: "API requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_http_request_duration_seconds",
			Help:    "API request latency by route template.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_http_refused_total",
			Help: "Public API requests refused by route template and reason (rate_limited_address, rate_limited_app, origin_not_allowed, origin_required, topic_not_public), and limiter failures let through (limiter_unavailable).",
		}, []string{"route", "reason"}),
	}
	for _, c := range []prometheus.Collector{h.requests, h.duration, h.refused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}
	return h, nil
}

// Observe records one request; route is its template ("unmatched" when none).
func (h *HTTP) Observe(route, method string, code int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		method = "OTHER" // any token is a valid method: bound the label set
	}
	h.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	h.duration.WithLabelValues(route).Observe(d.Seconds())
}

// Refused counts one public request refused for reason (a fixed set the
// caller names, never client input).
func (h *HTTP) Refused(route, reason string) {
	if route == "" {
		route = "unmatched"
	}
	h.refused.WithLabelValues(route, reason).Inc()
}
