package workerserver

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/fleetlimit"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/opsstats"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// statsTTL is how long queue figures are cached for /metrics; database
// counts (which scan the subscriptions table) are cached twice as long.
const statsTTL = 5 * time.Second

// newMetrics builds the worker's registry: runtime, delivery counters, the
// send scheduler's bound, and the cached queue and database figures; and
// what feeds them.
func newMetrics(p *bootstrap.Base, log *slog.Logger, sends *inflight.Scheduler, pace *fleetlimit.Pace) (*prometheus.Registry, *opsstats.Source, *opsstats.RateRecorder, *metrics.Delivery, error) {
	reg := metrics.NewRegistry()
	deliveries, err := metrics.NewDelivery(reg)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := metrics.NewPace(reg, pace.Pace); err != nil {
		return nil, nil, nil, nil, err
	}
	for _, g := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "herald_worker_sends_limit",
			Help: "Sends this worker lets be in flight now: between HERALD_WORKER_CONCURRENCY_MIN and HERALD_WORKER_CONCURRENCY, lower while the CPU is the bottleneck.",
		}, func() float64 { return float64(sends.Limit()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "herald_worker_sends_in_flight",
			Help: "Sends in flight in this worker, urgent ones (which have slots of their own beside the limit) included.",
		}, func() float64 { return float64(sends.InFlight()) }),
	} {
		if err := reg.Register(g); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("register send metrics: %w", err)
		}
	}
	stats := opsstats.NewSource(opsstats.Config{DB: p.DB, Redis: p.Redis.Client, QueueTTL: statsTTL, CountTTL: 2 * statsTTL})
	if err := reg.Register(opsstats.NewCollector(stats, log)); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("register queue metrics: %w", err)
	}
	rates := opsstats.NewRateRecorder(p.Redis.Client)
	return reg, stats, rates, deliveries, nil
}

// observers tells each of its members.
type observers []delivery.Observer

func (o observers) Sent(r pushsend.Result) {
	for _, x := range o {
		x.Sent(r)
	}
}

func (o observers) Gated(reason string, service pushendpoint.Service, n int) {
	for _, x := range o {
		if g, ok := x.(delivery.GateObserver); ok {
			g.Gated(reason, service, n)
		}
	}
}
