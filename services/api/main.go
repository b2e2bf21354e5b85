// Command herald-api is Herald's HTTP API process. Any number may run
// against one PostgreSQL and one Redis; each runs migrations under a lock
// unless HERALD_MIGRATE=false. `herald-api migrate` only migrates and exits
// (for an init container or a deploy-time job).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // subscriptions carry IANA time zones; do not depend on the host's

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/services/api/apiserver"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log, os.Args[1:]); err != nil {
		log.Error("herald-api stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, args []string) error {
	migrateOnly := len(args) == 1 && args[0] == "migrate"
	if len(args) > 0 && !migrateOnly {
		return fmt.Errorf("unknown arguments %q: herald-api takes none, or `migrate`", args)
	}
	env := envconf.New()
	shared := bootstrap.ReadConfig(env)
	cfg := apiserver.ReadConfig(env, shared)
	if err := env.Err(); err != nil {
		return err
	}
	p, err := bootstrap.Open(ctx, shared, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if migrateOnly {
		// Migrates whatever HERALD_MIGRATE says: this is the process that
		// migrates for those told not to.
		if err := p.DB.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		v, err := p.DB.Version(ctx)
		log.Info("migrations applied", "version", v)
		return err
	}
	if err := p.PrepareSchema(ctx, log); err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		token, _, err := apiserver.DevAdminToken(shared.DataDir)
		if err != nil {
			return err
		}
		cfg.AdminToken = token
		log.Warn("DEV MODE: admin token generated; set HERALD_ADMIN_TOKEN in production", "admin_token", token)
	}
	srv, err := apiserver.New(cfg, p, log)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
