package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/pushendpoint"
)

// ServicePace is one push service's pace as a worker sees it.
type ServicePace struct {
	Left     time.Duration // of the fleet's back-off (0: full speed)
	Backoffs int64         // back-offs this worker started or lengthened
}

// paceServices are the services the pace metrics always show.
var paceServices = []pushendpoint.Service{pushendpoint.FCM, pushendpoint.Mozilla, pushendpoint.Apple, pushendpoint.WNS, pushendpoint.Other}

// Pace shows each push service's pace: the back-off left and the
// back-offs started. Sends per service are herald_deliveries_total;
// messages a back-off held, herald_deliveries_waiting_total{reason="paced"}.
type Pace struct {
	left, backoffs *prometheus.Desc
	read           func() map[pushendpoint.Service]ServicePace
}

// NewPace registers the pace metrics on reg, read from read
// (fleetlimit.Pace.Pace).
func NewPace(reg prometheus.Registerer, read func() map[pushendpoint.Service]ServicePace) error {
	p := &Pace{
		left: prometheus.NewDesc("herald_push_service_backoff_seconds",
			"Seconds left of the fleet's back-off from a push service that asked it to slow down (429, or 503 with Retry-After); 0: sending at full speed.",
			[]string{"service"}, nil),
		backoffs: prometheus.NewDesc("herald_push_service_backoffs_total",
			"Back-offs this worker started or lengthened for the whole fleet, by push service.",
			[]string{"service"}, nil),
		read: read,
	}
	if err := reg.Register(p); err != nil {
		return fmt.Errorf("register pace metrics: %w", err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (p *Pace) Describe(ch chan<- *prometheus.Desc) { ch <- p.left; ch <- p.backoffs }

// Collect implements prometheus.Collector: every service, 0 when idle.
func (p *Pace) Collect(ch chan<- prometheus.Metric) {
	figures := p.read()
	for _, s := range paceServices {
		f := figures[s]
		ch <- prometheus.MustNewConstMetric(p.left, prometheus.GaugeValue, f.Left.Seconds(), string(s))
		ch <- prometheus.MustNewConstMetric(p.backoffs, prometheus.CounterValue, float64(f.Backoffs), string(s))
	}
}
