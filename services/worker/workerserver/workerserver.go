package workerserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldpush/herald/pkg/httpserve"
	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/platform"
	"github.com/heraldpush/herald/pkg/queue"
)

// Server is a worker ready to run: asynq server built, health address bound.
type Server struct {
	cfg      Config
	log      *slog.Logger
	platform *platform.Platform
	asynq    *asynq.Server
	mux      *asynq.ServeMux
	listener net.Listener
	registry *prometheus.Registry
}

// New builds a worker over an opened platform.
func New(cfg Config, p *platform.Platform, log *slog.Logger) (*Server, error) {
	srv := asynq.NewServerFromRedisClient(p.Redis.Client, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          queue.Weights(),
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          queue.Logger{Log: log},
		LogLevel:        asynq.WarnLevel,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on HERALD_WORKER_ADDR %s: %w", cfg.Addr, err)
	}
	return &Server{
		cfg: cfg, log: log, platform: p, asynq: srv, mux: asynq.NewServeMux(),
		listener: ln, registry: metrics.NewRegistry(),
	}, nil
}

// URL is where health and metrics answer.
func (s *Server) URL() string { return "http://" + s.listener.Addr().String() }

// Run processes jobs and serves health until ctx ends. Shutdown stops taking
// jobs and gives running ones ShutdownTimeout to finish; asynq hands back
// the unfinished ones to the queue.
func (s *Server) Run(ctx context.Context) error {
	if err := s.asynq.Start(s.mux); err != nil {
		return fmt.Errorf("start asynq server: %w", err)
	}
	s.log.Info("worker running", "health", s.URL(), "concurrency", s.cfg.Concurrency)
	httpCtx, stopHTTP := context.WithCancel(context.Background())
	httpErr := make(chan error, 1)
	go func() {
		httpErr <- httpserve.Serve(httpCtx, s.log, s.listener, s.healthHandler(), 5*time.Second)
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
	}
	s.asynq.Shutdown()
	stopHTTP()
	if err == nil {
		err = <-httpErr
	}
	return err
}

func (s *Server) healthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"status":"ok"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, `{"error":{"code":"not_ready","message":"database or Redis unreachable"}}`)
			return
		}
		writeJSON(w, http.StatusOK, `{"status":"ready"}`)
	})
	mux.Handle("GET /metrics", metrics.Handler(s.registry))
	return mux
}

func (s *Server) ready(ctx context.Context) error {
	if err := s.platform.Ready(ctx); err != nil {
		return err
	}
	if s.asynq.Ping() != nil {
		return errors.New("asynq server not running")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
