package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func (b *bench) bin(name string) string {
	if b.cfg.binDir != "" {
		return filepath.Join(b.cfg.binDir, name)
	}
	return filepath.Join(b.dir, name)
}

// setup builds, starts the simulators and the API, creates the app and
// seeds the subscriptions.
func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.dir, err = os.MkdirTemp("", "herald-bench-"); err != nil {
		return err
	}
	slog.Info("working directory (process logs)", "dir", b.dir)
	if b.cfg.binDir == "" {
		slog.Info("building herald-api, herald-worker, herald-pushsim")
		if err := buildBinaries(ctx, b.dir); err != nil {
			return err
		}
	}
	if b.redis, err = claimRedis(ctx, b.cfg.redisURL, 2); err != nil {
		return err
	}
	if b.dbURL, b.schema, err = createSchema(ctx, b.cfg.dbURL); err != nil {
		return err
	}
	if b.mainProc, b.main, err = b.startSim(ctx, "pushsim-main", false); err != nil {
		return err
	}
	if b.probeProc, b.probe, err = b.startSim(ctx, "pushsim-probe", true); err != nil {
		return err
	}
	if err := b.startAPI(ctx, []string{b.main.base, b.probe.base}); err != nil {
		return err
	}
	if err := b.api.createApp(ctx); err != nil {
		return err
	}
	return b.seedAll(ctx)
}

// startAPI starts herald-api on the run's schema and Redis, accepting push
// endpoints at pushOrigins besides the public push services.
func (b *bench) startAPI(ctx context.Context, pushOrigins []string) error {
	apiAddr, err := freeAddr()
	if err != nil {
		return err
	}
	b.api = &api{base: "http://" + apiAddr, adminToken: randomHex(16)}
	b.heraldEnv = []string{
		"HERALD_DATABASE_URL=" + b.dbURL, "HERALD_REDIS_URL=" + b.redis.url(0),
		"HERALD_MASTER_KEY=" + base64.StdEncoding.EncodeToString([]byte(randomHex(16))),
		"HERALD_ADMIN_TOKEN=" + b.api.adminToken, "HERALD_VAPID_SUBJECT=mailto:bench@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS=" + strings.Join(pushOrigins, ","),
		fmt.Sprintf("HERALD_WORKER_CONCURRENCY=%d", b.cfg.concurrency),
	}
	if b.apiProc, err = startProc(b.dir, "api", b.bin("herald-api"), append(b.heraldEnv, "HERALD_HTTP_ADDR="+apiAddr)); err != nil {
		return err
	}
	return b.apiProc.waitHTTP(ctx, b.api.base+"/readyz", time.Minute)
}

func (b *bench) startSim(ctx context.Context, name string, keep bool) (*proc, sim, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, sim{}, err
	}
	p, err := startProc(b.dir, name, b.bin("herald-pushsim"), []string{
		"PUSHSIM_ADDR=" + addr, fmt.Sprintf("PUSHSIM_KEEP_PAYLOADS=%t", keep), "PUSHSIM_LOG_LEVEL=warn",
	})
	if err != nil {
		return nil, sim{}, err
	}
	s := sim{base: "http://" + addr}
	return p, s, p.waitHTTP(ctx, s.base+"/_sim/health", 30*time.Second)
}

// seedAll mints N subscriptions on the main simulator and the probes and
// urgent targets on the probe simulator, and seeds them all in one COPY.
func (b *bench) seedAll(ctx context.Context) error {
	start := time.Now()
	var err error
	if b.mainSubs, err = b.main.mint(ctx, b.cfg.n); err != nil {
		return err
	}
	probes, err := b.probe.mint(ctx, b.cfg.probes+b.cfg.urgent)
	if err != nil {
		return err
	}
	slog.Info("minted subscriptions", "main", len(b.mainSubs), "probe", len(probes), "took", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	ids, err := seed(ctx, b.dbURL, b.api.appID, append(append([]simSub{}, b.mainSubs...), probes...))
	if err != nil {
		return err
	}
	for i, s := range probes {
		ps := probeSub{simID: s.ID, heraldID: ids[len(b.mainSubs)+i]}
		if i < b.cfg.probes {
			b.probeSubs = append(b.probeSubs, ps)
		} else {
			b.urgentSubs = append(b.urgentSubs, ps)
		}
	}
	slog.Info("seeded subscriptions (COPY into subscriptions)", "n", len(ids), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (b *bench) close() {
	for _, p := range []*proc{b.apiProc, b.mainProc, b.probeProc} {
		if p != nil {
			p.stop(30 * time.Second)
		}
	}
	if b.schema != "" && os.Getenv("BENCH_KEEP_SCHEMA") == "" {
		dropSchema(b.cfg.dbURL, b.schema)
	}
	if b.redis != nil {
		b.redis.release()
	}
	if b.dir != "" && b.cfg.binDir == "" && os.Getenv("BENCH_KEEP_DIR") == "" {
		_ = os.RemoveAll(b.dir)
	}
}
