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
	simAddr := readDevPushsim(env, shared)
	if err := env.Err(); err != nil {
		return err
	}
	var sim *devPushsim
	if simAddr != "" {
		var err error
		if sim, err = startDevPushsim(simAddr, &shared, log); err != nil {
			return err
		}
		defer sim.close()
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
	printBanner(stdout, shared, banner{api: api.URL(), worker: worker.URL(), adminToken: apiCfg.AdminToken, sim: sim})

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

// banner is what the start-up banner names.
type banner struct {
	api, worker, adminToken string
	sim                     *devPushsim
}

func printBanner(w io.Writer, cfg bootstrap.Config, b banner) {
	storage := "PostgreSQL + Redis from the environment"
	if cfg.DevMode() {
		storage = "EMBEDDED (dev only): SQLite file under " + cfg.DataDir + "/ and in-process Redis"
	}
	fmt.Fprintf(w, `
Herald is running.
  API:          %[1]s
  Demo page:    %[1]s/demo        (subscribe this browser and send yourself a notification)
  Dashboard:    %[1]s/dashboard   (sign in with the admin token)
  Worker:       %[2]s (health, metrics)
  Storage:      %[3]s
  Admin token:  %[4]s
`, b.api, b.worker, storage, b.adminToken)
	if b.sim != nil {
		state := "simulated browsers for heraldctl subscriptions simulate"
		if !b.sim.running() {
			state = "not started here (address in use); its origin is accepted"
		}
		fmt.Fprintf(w, "  Push sim:     %s (dev only: %s)\n", b.sim.origin, state)
	}
	fmt.Fprintf(w, `
Create an app whose pages on this server may subscribe (then open /demo?app=<its id>):
  curl -s -X POST %[1]s/v1/apps -H 'Authorization: Bearer %[2]s' \
    -H 'Content-Type: application/json' -d '{"name":"My site","allowed_origins":["%[1]s"]}'
`, b.api, b.adminToken)
	if b.sim != nil {
		fmt.Fprint(w, `
No browser at hand? Deliver to simulated ones (README, "Quick tour"), in another terminal:
  export HERALD_ADMIN_TOKEN=$(cat `+cfg.DataDir+`/admin-token)
  eval "$(./bin/heraldctl apps create --name 'My site' --origin `+b.api+` --env)"
  ./bin/heraldctl subscriptions simulate --count 3
  ./bin/heraldctl send --title Hello --body 'First notification' --all --wait
`)
	}
	fmt.Fprint(w, "\nPress Ctrl-C to stop.\n\n")
}
