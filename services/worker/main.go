// Command herald-worker delivers notifications. Scale it horizontally: any
// number may run against one PostgreSQL and one Redis.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/services/worker/workerserver"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log); err != nil {
		log.Error("herald-worker stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger) error {
	env := envconf.New()
	shared := bootstrap.ReadConfig(env)
	cfg := workerserver.ReadConfig(env)
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
	if p.Redis.Embedded {
		log.Warn("DEV MODE: this worker has its own embedded Redis and will get no jobs from an API process; use `make run` (one process) or set HERALD_REDIS_URL")
	}
	w, err := workerserver.New(cfg, p, log)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}
