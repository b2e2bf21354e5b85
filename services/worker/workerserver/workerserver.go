package workerserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/fleetlimit"
	"github.com/heraldpush/herald/pkg/httpserve"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/opsstats"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/redisconn"
	"github.com/heraldpush/herald/pkg/retention"
	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/webhook"
)

// healthDrain bounds how long the health server, which keeps answering
// while the job servers stop, drains after them.
const healthDrain = 2 * time.Second

// Server is a worker ready to run: job servers built, health address bound.
type Server struct {
	cfg        Config
	log        *slog.Logger
	base       *bootstrap.Base
	main       *asynq.Server // default and bulk queues
	critical   *asynq.Server // critical queue only, polled often
	hooks      *asynq.Server // webhook requests only (webhooks.go)
	mux        *asynq.ServeMux
	reconciler *delivery.Reconciler
	retention  *retention.Enforcer
	runs       *jobqueue.Runs      // claims on running jobs; recovers a dead worker's
	stopping   context.Context     // ends at shutdown: running jobs are handed back
	stop       context.CancelFunc  // ends stopping
	webhooks   *webhook.Dispatcher // the webhook outbox, shared with the other workers
	sends      *inflight.Scheduler // every send of both job servers
	listener   net.Listener
	registry   *prometheus.Registry
	stats      *opsstats.Source       // queue and database figures for /metrics
	rates      *opsstats.RateRecorder // fleet-wide delivery rates in Redis
}

// New builds a worker over an opened bootstrap.Base.
func New(cfg Config, p *bootstrap.Base, log *slog.Logger) (*Server, error) {
	sender, err := pushsend.NewSender(pushsend.Config{
		Subject: p.Config.VAPIDSubject, Endpoints: p.Config.Endpoints, WebpushGo: cfg.WebpushGoEncryption,
	})
	if err != nil {
		return nil, fmt.Errorf("push sender: %w", err)
	}
	jobs := jobqueue.NewClient(p.Redis.Client)
	// The one send scheduler: HERALD_WORKER_CONCURRENCY is the most sends in
	// flight; it keeps fewer while more would only queue for the CPU, and
	// lets urgent sends go first (package inflight).
	// A push service that answers 429 slows the whole fleet's sends to it
	// (a back-off shared in Redis), not the other services'.
	pace := fleetlimit.NewPace(fleetlimit.PaceConfig{Redis: p.Redis.Client, Log: log})
	sends := inflight.NewScheduler(inflight.SchedulerConfig{Sender: sender, Min: cfg.MinConcurrency, Max: cfg.Concurrency, Pacer: pace})
	registry, stats, rates, deliveries, err := newMetrics(p, log, sends, pace)
	if err != nil {
		return nil, err
	}
	deliverer := delivery.NewDeliverer(delivery.DelivererConfig{
		DB: p.DB, Jobs: jobs, Apps: app.NewStore(p.DB, p.MasterKey), Sends: sends,
		Retry:    delivery.RetryPolicy{MaxAttempts: cfg.MaxAttempts, Base: cfg.BackoffBase, Max: cfg.BackoffMax},
		Observer: observers{deliveries, rates},
		Limits:   fleetlimit.New(p.Redis.Client),
		// Each message carries its recipient's event token.
		EventTokens: engagement.NewTokens(p.DB, p.MasterKey),
		// Prunes, expiries and silent revocations become webhook events (subscription.gone, .expired, .unresponsive).
		SubscriptionTaps: []subscription.Tap{webhook.NewStore(p.DB, p.MasterKey, p.Config.WebhookOrigins).TapSubscriptions},
	})
	// The job servers only decide how many batches are open at once; the
	// scheduler decides how many of their sends run. A batch holds up to
	// 500 sends, and each batch's sends pause while it commits its outcomes
	// (one commit per 100), so one worker needs several open to keep
	// sending: with 5 for 256 sends it topped out near 2,400 deliveries/s on
	// idle CPU. A send keeps its slot until its outcome is committed
	// (pkg/delivery/recorder.go), so what a crash leaves sent but
	// unrecorded is within the sends in flight, however many batches are
	// open.
	batches := max(2, cfg.Concurrency/32+2)
	// asynq polls an empty queue every TaskCheckInterval, plus or minus
	// half (default 1 s, so 0.5-1.5 s per hop): a notification takes two
	// hops, fan-out then batch. The critical queue polls every 10 ms (about
	// 100 cheap Redis calls a second when idle): at 25 ms the poll alone was
	// a fifth of an urgent send's 100 ms median under load. The others poll
	// every 100 ms.
	server := func(concurrency int, queues map[string]int, checkEvery time.Duration) *asynq.Server {
		return asynq.NewServerFromRedisClient(p.Redis.Client, asynq.Config{
			Concurrency:       concurrency,
			Queues:            queues,
			ShutdownTimeout:   cfg.ShutdownTimeout,
			Logger:            asynqLogger{log: log},
			LogLevel:          asynq.WarnLevel,
			TaskCheckInterval: checkEvery,
			// Retries are scheduled tasks; look for due ones every second
			// rather than asynq's default five.
			DelayedTaskCheckInterval: time.Second,
			// Handler errors are infrastructure failures (database down);
			// per-subscription retries are our own jobs, not asynq retries.
			RetryDelayFunc: retryDelay,
			IsFailure:      isFailure,
		})
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on HERALD_WORKER_ADDR %s: %w", cfg.Addr, err)
	}
	runs := jobqueue.NewRuns(p.Redis.Client, runclaim.NewStore(p.DB))
	stopping, stop := context.WithCancel(context.Background())
	hooks := webhook.NewDispatcher(webhook.DispatcherConfig{
		DB: p.DB, Key: p.MasterKey, Origins: p.Config.WebhookOrigins, Log: log, Jobs: jobs,
		BackoffBase: cfg.WebhookBackoffBase, BackoffMax: cfg.WebhookBackoffMax,
	})
	return &Server{
		cfg: cfg, log: log, base: p,
		main:     server(batches, map[string]int{jobqueue.Default: 3, jobqueue.Bulk: 1}, 100*time.Millisecond),
		critical: server(4, map[string]int{jobqueue.Critical: 1}, 10*time.Millisecond),
		hooks:    webhookServer(p.Redis.Client, cfg, log),
		mux:      newMux(delivery.NewFanout(p.DB, jobs, log, 0), deliverer, hooks, deliveries, runs, stopping),
		runs:     runs, stopping: stopping, stop: stop,
		reconciler: delivery.NewReconciler(p.DB, jobs, jobs, log, delivery.ReconcilerConfig{
			Interval: cfg.ReconcileInterval, Stall: cfg.ReconcileStall}),
		retention: retention.New(retention.Config{
			DB: p.DB, Settings: cfg.Retention, Log: log,
			Lease: func(ctx context.Context, key string, ttl time.Duration) (bool, error) {
				return redisconn.TryLease(ctx, p.Redis.Client, key, ttl)
			},
		}),
		webhooks: hooks,
		sends:    sends,
		listener: ln, registry: registry, stats: stats, rates: rates,
	}, nil
}

// isFailure tells asynq which errors spend a retry: not a job handed back
// at shutdown, nor one waiting for its twin or stopped for it.
func isFailure(err error) bool {
	return !errors.Is(err, errHandedBack) && !errors.Is(err, jobqueue.ErrClaimed) && !errors.Is(err, jobqueue.ErrClaimLost) &&
		!errors.Is(err, webhook.ErrInFlight)
}

// retryDelay is how long a failed job waits before it runs again: 2 s
// doubling to a minute; but a job handed back at shutdown runs again at
// once, one whose twin runs elsewhere (or took its claim) waits for it,
// and one the database failed (or cut short) tries again a second later,
// so delivery resumes within about a second of its return.
func retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	switch {
	case errors.Is(err, errHandedBack):
		return 0
	case errors.Is(err, jobqueue.ErrClaimed), errors.Is(err, jobqueue.ErrClaimLost):
		return jobqueue.RunClaimTTL / 2
	case database.Unavailable(err) || errors.Is(err, delivery.ErrStorageCut):
		return time.Second
	}
	return min(time.Duration(1<<min(n, 6))*time.Second, time.Minute)
}

// URL is where health and metrics answer.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Run processes jobs and serves health until ctx ends. Shutdown stops taking
// jobs and gives running ones ShutdownTimeout to finish; asynq hands the
// unfinished ones back to the queue, and recorded outcomes keep a re-run
// from sending twice.
func (s *Server) Run(ctx context.Context) error {
	if err := s.main.Start(s.mux); err != nil {
		return fmt.Errorf("start job server: %w", err)
	}
	if err := s.critical.Start(s.mux); err != nil {
		s.main.Shutdown()
		return fmt.Errorf("start critical job server: %w", err)
	}
	if err := s.hooks.Start(s.mux); err != nil {
		s.main.Shutdown()
		s.critical.Shutdown()
		return fmt.Errorf("start webhook job server: %w", err)
	}
	s.log.Info("worker running", "health", s.URL(), "concurrency", s.cfg.Concurrency)
	bg, stopBG := context.WithCancel(context.Background())
	reconcilerDone := make(chan struct{})
	go func() { s.reconciler.Run(bg); close(reconcilerDone) }()
	retentionDone := make(chan struct{})
	go func() { s.retention.Run(bg); close(retentionDone) }()
	recoverDone := make(chan struct{})
	go func() { s.recoverRuns(bg); close(recoverDone) }()
	webhooksDone := make(chan struct{})
	go func() { s.webhooks.Run(bg); close(webhooksDone) }()
	ratesDone := make(chan struct{})
	go func() { s.rates.Run(bg); close(ratesDone) }()
	sendsDone := make(chan struct{})
	go func() { s.sends.Run(bg); close(sendsDone) }()
	httpErr := make(chan error, 1)
	go func() {
		httpErr <- httpserve.Serve(bg, s.log, s.listener, s.healthHandler(), healthDrain)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
	}
	// The job servers stop at once, each giving its running jobs up to
	// ShutdownTimeout: the worker exits within one timeout, not three, and
	// the orchestrator's grace period covers it (deploy.ShutdownOverhead).
	s.stop() // running jobs record their sends in flight and are handed back
	var stopping sync.WaitGroup
	stopping.Go(s.main.Shutdown)
	stopping.Go(s.critical.Shutdown)
	stopping.Go(s.hooks.Shutdown)
	stopping.Wait()
	stopBG()
	<-reconcilerDone
	<-retentionDone
	<-recoverDone
	<-webhooksDone
	<-ratesDone
	<-sendsDone
	s.stats.Close()
	if err == nil {
		err = <-httpErr
	}
	return err
}

// recoverRuns looks every recoverEvery for jobs a dead worker held and
// queues them again (jobqueue.Runs.Recover): they resume within about
// RunClaimTTL and two passes of the kill.
func (s *Server) recoverRuns(ctx context.Context) {
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.runs.Recover(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("recovering jobs of dead workers", "err", err)
		} else if n > 0 {
			s.log.Warn("queued again the jobs of a worker that died", "jobs", n)
		}
	}
}

// recoverEvery is how often a worker looks for a dead worker's jobs.
const recoverEvery = 5 * time.Second

func (s *Server) ready(ctx context.Context) error {
	if err := s.base.Ready(ctx); err != nil {
		return err
	}
	if s.main.Ping() != nil || s.critical.Ping() != nil || s.hooks.Ping() != nil {
		return errors.New("job servers not running")
	}
	return nil
}
