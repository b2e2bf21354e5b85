package apiserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/httpserve"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/publiclimit"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/webhook"
	"github.com/heraldpush/herald/services/api/httpapi"
)

// Server is a ready-to-serve API: dependencies built, listener open.
type Server struct {
	cfg      Config
	log      *slog.Logger
	listener net.Listener
	handler  http.Handler
	// metrics serves /metrics alone on HERALD_METRICS_ADDR (nil: /metrics
	// is on listener).
	metrics         http.Handler
	metricsListener net.Listener
}

// New builds the API over an opened bootstrap.Base and binds its address.
func New(cfg Config, p *bootstrap.Base, log *slog.Logger) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	if cfg.AdminToken == "" {
		return nil, fmt.Errorf("no admin token configured")
	}
	jobs := jobqueue.NewClient(p.Redis.Client)
	registry := metrics.NewRegistry()
	ops, err := httpapi.NewOpsDeps(p.DB, p.Redis.Client, registry, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on HERALD_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	eventTokens := engagement.NewTokens(p.DB, p.MasterKey)
	enqueuer := delivery.NewEnqueuer(jobs, delivery.NewFanout(p.DB, jobs, log, 0))
	webhooks := webhook.NewStore(p.DB, p.MasterKey, p.Config.WebhookOrigins)
	subscriptions := subscription.NewStore(p.DB, webhooks.TapSubscriptions)
	handler, err := httpapi.New(httpapi.Deps{
		Log:              log,
		Apps:             app.NewStore(p.DB, p.MasterKey),
		Subscriptions:    subscriptions,
		Segments:         subscription.NewSegmentCounter(subscriptions),
		Notifications:    notification.NewService(p.DB, enqueuer, engagement.NewLinks(eventTokens, publicURL), log),
		Browser:          httpapi.BrowserDeps{Events: engagement.NewStore(p.DB, eventTokens, webhooks.TapEngagement)},
		DeadLetters:      deadletter.NewStore(p.DB),
		Retrier:          delivery.NewDeadLetterRetrier(p.DB, jobs),
		Endpoints:        p.Config.Endpoints,
		Webhooks:         webhooks,
		Limits:           publiclimit.New(p.Redis.Client, cfg.Limits),
		TrustedProxies:   cfg.TrustedProxies,
		AdminToken:       cfg.AdminToken,
		Ready:            p.Ready,
		Metrics:          registry,
		MetricsToken:     cfg.MetricsToken,
		MetricsElsewhere: cfg.MetricsAddr != "",
		Ops:              ops,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, listener: ln, handler: handler}
	if cfg.MetricsAddr != "" {
		if s.metricsListener, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen on HERALD_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		s.metrics = httpapi.MetricsHandler(registry, cfg.MetricsToken, log)
	}
	return s, nil
}

// MetricsURL is where /metrics answers when it has an address of its own,
// else "".
func (s *Server) MetricsURL() string {
	if s.metricsListener == nil {
		return ""
	}
	return "http://" + s.metricsListener.Addr().String()
}

// URL is where the API answers.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Run serves until ctx ends, then drains in-flight requests.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("API listening", "url", s.URL())
	if s.metrics == nil {
		return httpserve.Serve(ctx, s.log, s.listener, s.handler, s.cfg.ShutdownTimeout)
	}
	s.log.Info("API metrics listening", "url", s.MetricsURL()+"/metrics")
	// Either server failing stops the other.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() {
		defer stop()
		done <- httpserve.Serve(ctx, s.log, s.metricsListener, s.metrics, s.cfg.ShutdownTimeout)
	}()
	err := httpserve.Serve(ctx, s.log, s.listener, s.handler, s.cfg.ShutdownTimeout)
	stop()
	return errors.Join(err, <-done)
}
