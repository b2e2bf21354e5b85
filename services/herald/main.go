// Command herald runs a complete Herald, API and worker, in one process. It
// is what `make run` starts: with no configuration it uses embedded storage
// (a SQLite file under ./data and an in-process Redis), which only one
// process can share. Production runs herald-api and herald-worker instead.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/services/api/apiserver"
	"github.com/heraldpush/herald/services/worker/workerserver"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, os.Stdout); err != nil {
		log.Error("herald stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, stdout io.Writer) error {
	env := envconf.New()
	shared := bootstrap.ReadConfig(env)
	apiCfg := apiserver.ReadConfig(env, shared)
	workerCfg := workerserver.ReadConfig(env)
	if err := env.Err(); err != nil {
		return err
	}
	p, err := bootstrap.Open(ctx, shared, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.PrepareSchema(ctx, log); err != nil {
		return err
	}
	if apiCfg.AdminToken == "" {
		if apiCfg.AdminToken, _, err = apiserver.DevAdminToken(shared.DataDir); err != nil {
			return err
		}
	}
	api, err := apiserver.New(apiCfg, p, log)
	if err != nil {
		return err
	}
	worker, err := workerserver.New(workerCfg, p, log)
	if err != nil {
		return err
	}
	printBanner(stdout, shared, api.URL(), worker.URL(), apiCfg.AdminToken)

	// Run both; when either stops (or ctx ends) stop the other, then report.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- api.Run(ctx) }()
	go func() { errc <- worker.Run(ctx) }()
	first := <-errc
	cancel()
	second := <-errc
	if first != nil {
		return first
	}
	if second == nil {
		log.Info("herald stopped cleanly")
	}
	return second
}

func printBanner(w io.Writer, cfg bootstrap.Config, apiURL, workerURL, adminToken string) {
	storage := "PostgreSQL + Redis from the environment"
	if cfg.DevMode() {
		storage = "EMBEDDED (dev only): SQLite file under " + cfg.DataDir + "/ and in-process Redis"
	}
	fmt.Fprintf(w, `
Herald is running.
  API:          %[1]s
  Worker:       %[2]s (health, metrics)
  Storage:      %[3]s
  Admin token:  %[4]s

Create an app:
  curl -s -X POST %[1]s/v1/apps -H 'Authorization: Bearer %[4]s' \
    -H 'Content-Type: application/json' -d '{"name":"My site","allowed_origins":["http://localhost:3000"]}'

Press Ctrl-C to stop.

`, apiURL, workerURL, storage, adminToken)
}
