// Package workerserver assembles and runs the worker process: an asynq
// server that delivers notifications, plus a small HTTP server for health
// and metrics.
package workerserver

import (
	"time"

	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/retention"
	"github.com/heraldpush/herald/pkg/webhook"
)

// Config is the worker's own configuration, beside the shared bootstrap.Config.
type Config struct {
	Addr string
	// Concurrency is the most sends in flight; the worker keeps fewer, down
	// to MinConcurrency, while more would only wait for the CPU.
	Concurrency     int
	MinConcurrency  int
	MaxAttempts     int
	BackoffBase     time.Duration
	BackoffMax      time.Duration
	ShutdownTimeout time.Duration
	// WebhookBackoffBase and WebhookBackoffMax space a failing webhook's
	// retries: the first after the base, doubling, capped at the max, for
	// webhook.RetryWindow.
	WebhookBackoffBase time.Duration
	WebhookBackoffMax  time.Duration
	// WebpushGoEncryption encrypts through webpush-go instead of Herald's
	// own RFC 8291 code (same bytes, without the VAPID JWT webpush-go signs
	// and Herald discards on every call; see BENCHMARKS.md).
	WebpushGoEncryption bool
	// Pprof serves net/http/pprof on the health address (HERALD_PPROF=1):
	// for profiling the delivery hot path (make bench with BENCH_PPROF).
	// Off by default: profiles expose internals and cost CPU while taken.
	Pprof bool
	// Retention says how long data is kept (HERALD_RETENTION_*); one
	// worker of the fleet enforces it each interval.
	Retention retention.Settings
	// ReconcileInterval is how often the reconciler looks for work Redis
	// lost; ReconcileStall how long a notification without live jobs must
	// show no progress before it is repaired (delivery.ReconcilerConfig).
	ReconcileInterval time.Duration
	ReconcileStall    time.Duration
}

// defaultMinConcurrency is the fewest sends in flight the worker adapts
// down to unless told otherwise. Few enough that a CPU-bound worker keeps
// little queued; on the simulator over loopback a fixed 32 already
// delivered within 10% of the best fixed number (BENCHMARKS.md, change 13).
const defaultMinConcurrency = 16

// ReadConfig reads the worker settings; problems are recorded in r.
func ReadConfig(r *envconf.Reader) Config {
	c := Config{
		Addr:            r.String("HERALD_WORKER_ADDR", "127.0.0.1:8081"),
		Concurrency:     r.Int("HERALD_WORKER_CONCURRENCY", 256, 1, 100000),
		MaxAttempts:     r.Int("HERALD_DELIVERY_MAX_ATTEMPTS", 8, 1, 100),
		BackoffBase:     r.Duration("HERALD_DELIVERY_BACKOFF_BASE", 5*time.Second, time.Millisecond, 24*time.Hour),
		BackoffMax:      r.Duration("HERALD_DELIVERY_BACKOFF_MAX", time.Hour, time.Millisecond, 7*24*time.Hour),
		ShutdownTimeout: r.Duration("HERALD_SHUTDOWN_TIMEOUT", 25*time.Second, time.Second, 10*time.Minute),
		Pprof:           r.Bool("HERALD_PPROF", false),
		Retention:       retention.ReadSettings(r),

		ReconcileInterval:  r.Duration("HERALD_RECONCILE_INTERVAL", 5*time.Second, 100*time.Millisecond, time.Hour),
		ReconcileStall:     r.Duration("HERALD_RECONCILE_STALL", time.Minute, time.Second, 24*time.Hour),
		WebhookBackoffBase: r.Duration("HERALD_WEBHOOK_BACKOFF_BASE", webhook.DefaultBackoffBase, 10*time.Millisecond, time.Hour),
		WebhookBackoffMax:  r.Duration("HERALD_WEBHOOK_BACKOFF_MAX", webhook.DefaultBackoffMax, 10*time.Millisecond, 24*time.Hour),
	}
	switch enc := r.String("HERALD_PUSH_ENCRYPTION", "native"); enc {
	case "native":
	case "webpush-go":
		c.WebpushGoEncryption = true
	default:
		r.Fail("HERALD_PUSH_ENCRYPTION", "%q is not native or webpush-go", enc)
	}
	c.MinConcurrency = r.Int("HERALD_WORKER_CONCURRENCY_MIN", min(defaultMinConcurrency, c.Concurrency), 1, 100000)
	if c.MinConcurrency > c.Concurrency {
		r.Fail("HERALD_WORKER_CONCURRENCY_MIN", "%d is more than HERALD_WORKER_CONCURRENCY %d", c.MinConcurrency, c.Concurrency)
	}
	if c.WebhookBackoffMax < c.WebhookBackoffBase {
		r.Fail("HERALD_WEBHOOK_BACKOFF_MAX", "%s is shorter than HERALD_WEBHOOK_BACKOFF_BASE %s", c.WebhookBackoffMax, c.WebhookBackoffBase)
	}
	if c.BackoffMax < c.BackoffBase {
		r.Fail("HERALD_DELIVERY_BACKOFF_MAX", "%s is shorter than HERALD_DELIVERY_BACKOFF_BASE %s", c.BackoffMax, c.BackoffBase)
	}
	return c
}
