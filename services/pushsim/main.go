// Command herald-pushsim runs the Web Push service simulator (package pkg/pushsim)
// as a standalone server for load tests and staging.
//
// Environment:
//
//	PUSHSIM_ADDR              listen address (default 127.0.0.1:8090)
//	PUSHSIM_PUBLIC_ORIGIN     origin senders use and sign as JWT aud (default http://<addr>)
//	PUSHSIM_KEEP_PAYLOADS     keep decrypted payloads and attempt logs (default true)
//	PUSHSIM_DEFAULT_BEHAVIOR  behavior for subscriptions minted without one (default ok)
//	PUSHSIM_DELAY_MS          latency added to every push request (default 0)
//	PUSHSIM_LOG_LEVEL         debug, info, warn or error (default info)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

const shutdownTimeout = 10 * time.Second

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("PUSHSIM_LOG_LEVEL"))}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log); err != nil {
		log.Error("pushsim stopped", "err", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, addr, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	cfg.Logger = log
	srv, ln, err := pushsim.Listen(addr, cfg)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	defaultBehavior := cfg.DefaultBehavior.String()
	if defaultBehavior == "" {
		defaultBehavior = "ok"
	}
	log.Info("pushsim listening", "addr", ln.Addr().String(), "public_origin", srv.PublicOrigin(),
		"keep_payloads", cfg.KeepPayloads, "default_behavior", defaultBehavior, "delay", cfg.Delay)

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("pushsim shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
