package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/httpserve"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// devPushsimDefault is where dev mode's push simulator listens: the
// address herald-pushsim and `heraldctl subscriptions simulate` default to.
const devPushsimDefault = "127.0.0.1:8090"

// readDevPushsim is HERALD_DEV_PUSHSIM: the push simulator's address in dev
// mode ("off" runs none); outside dev mode there is none.
func readDevPushsim(r *envconf.Reader, shared bootstrap.Config) string {
	addr := r.String("HERALD_DEV_PUSHSIM", devPushsimDefault)
	if !shared.DevMode() || addr == "off" {
		return ""
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		r.Fail("HERALD_DEV_PUSHSIM", "want host:port for dev mode's push simulator (like %s) or off: %v", devPushsimDefault, err)
	}
	return addr
}

// devPushsim is a push simulator dev mode runs beside Herald, so a newcomer
// without a browser sees deliveries end to end: `heraldctl subscriptions
// simulate` registers subscriptions it mints, and it verifies and decrypts
// what Herald sends them.
type devPushsim struct {
	origin string
	stop   context.CancelFunc // nil when this process does not serve it
	served chan error
}

// startDevPushsim starts the simulator on addr and lets Herald deliver to
// it. When addr is taken (another Herald's simulator, or a herald-pushsim)
// it logs so and still accepts that origin, so the one already there serves.
func startDevPushsim(addr string, shared *bootstrap.Config, log *slog.Logger) (*devPushsim, error) {
	d := &devPushsim{origin: "http://" + addr}
	simLog := log.With("component", "dev-pushsim")
	sim, ln, err := pushsim.Listen(addr, pushsim.Config{KeepPayloads: true, Logger: simLog})
	if err != nil {
		log.Warn("dev push simulator not started; its origin is still accepted", "addr", addr, "err", err)
	} else {
		d.origin = sim.PublicOrigin()
		var ctx context.Context
		ctx, d.stop = context.WithCancel(context.Background())
		d.served = make(chan error, 1)
		go func() { d.served <- httpserve.Serve(ctx, simLog, ln, sim.Handler(), 5*time.Second) }()
	}
	policy, err := pushendpoint.NewPolicy(append(shared.Endpoints.Origins(), d.origin))
	if err != nil {
		d.close()
		return nil, fmt.Errorf("dev push simulator origin: %w", err)
	}
	shared.Endpoints = policy
	return d, nil
}

// running reports whether this process serves the simulator.
func (d *devPushsim) running() bool { return d != nil && d.stop != nil }

func (d *devPushsim) close() {
	if d.running() {
		d.stop()
		<-d.served
	}
}
