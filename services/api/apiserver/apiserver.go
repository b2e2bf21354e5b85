package apiserver

import (
	"context"
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
	subscriptions := subscription.NewStore(p.DB)
	webhooks := webhook.NewStore(p.DB, p.MasterKey, p.Config.WebhookOrigins)
	handler, err := httpapi.New(httpapi.Deps{
		Log:            log,
		Apps:           app.NewStore(p.DB, p.MasterKey),
		Subscriptions:  subscriptions,
		Segments:       subscription.NewSegmentCounter(subscriptions),
		Notifications:  notification.NewService(p.DB, enqueuer, engagement.NewLinks(eventTokens, publicURL), log),
		Browser:        httpapi.BrowserDeps{Events: engagement.NewStore(p.DB, eventTokens, webhooks.TapEngagement)},
		DeadLetters:    deadletter.NewStore(p.DB),
		Retrier:        delivery.NewDeadLetterRetrier(p.DB, jobs),
		Endpoints:      p.Config.Endpoints,
		Webhooks:       webhooks,
		Limits:         publiclimit.New(p.Redis.Client, cfg.Limits),
		TrustedProxies: cfg.TrustedProxies,
		AdminToken:     cfg.AdminToken,
		Ready:          p.Ready,
		Metrics:        registry,
		Ops:            ops,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &Server{cfg: cfg, log: log, listener: ln, handler: handler}, nil
}

// URL is where the API answers.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Run serves until ctx ends, then drains in-flight requests.
func (s *Server) Run(ctx context.Context) error {
	s.log.Info("API listening", "url", s.URL())
	return httpserve.Serve(ctx, s.log, s.listener, s.handler, s.cfg.ShutdownTimeout)
}
