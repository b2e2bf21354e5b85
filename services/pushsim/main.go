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
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

const shutdownTimeout = 10 * time.Second

// usage is what herald-pushsim --help prints.
const usage = `usage: herald-pushsim [--help]

Runs a Web Push service simulator: it mints browser-like push subscriptions,
accepts RFC 8030 pushes, verifies their RFC 8292 VAPID JWT, decrypts the RFC 8291
payload with the subscription's private key, and answers like a push service, or
fails on purpose per subscription. For load tests, staging and a first look at
Herald without a browser (heraldctl subscriptions simulate registers its
subscriptions; Herald must list its origin in HERALD_PUSH_EXTRA_ORIGINS).

Environment:
  PUSHSIM_ADDR              listen address (default 127.0.0.1:8090)
  PUSHSIM_PUBLIC_ORIGIN     origin senders use and sign as JWT aud (default http://<addr>)
  PUSHSIM_KEEP_PAYLOADS     keep decrypted payloads and attempt logs (default true)
  PUSHSIM_DEFAULT_BEHAVIOR  behavior of subscriptions minted without one (default ok):
                            ok, gone, not_found, always_fail, bad_request,
                            fail_first:K, rate_limit:K:S, slow:MS
  PUSHSIM_DELAY_MS          latency added to every push request (default 0)
  PUSHSIM_LOG_LEVEL         debug, info, warn or error (default info)

HTTP:
  POST /push/{id}                  the push endpoint (201 Created on delivery)
  POST /_sim/subscriptions         mint {"count", "behavior", "application_server_key"}
  GET  /_sim/subscriptions/{id}    one subscription's attempts and deliveries
  GET  /_sim/stats                 totals
  POST /_sim/reset                 forget everything (?keep_subscriptions=true keeps them)
  GET  /_sim/health                liveness
`

// checkArgs answers --help (exit 0) and refuses anything else (exit 2):
// the simulator is configured by its environment.
func checkArgs(args []string, stdout, stderr io.Writer) (exit int, stop bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0, true
	}
	fmt.Fprintf(stderr, "herald-pushsim: unexpected argument %q: it is configured by its environment\n\n%s", args[0], usage)
	return 2, true
}

func main() {
	if code, stop := checkArgs(os.Args[1:], os.Stdout, os.Stderr); stop {
		os.Exit(code)
	}
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
