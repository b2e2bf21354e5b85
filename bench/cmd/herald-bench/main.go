// Command herald-bench is Herald's end-to-end benchmark (`make bench`). It
// builds and starts herald-pushsim (twice: a main simulator that keeps only
// counts, and a probe simulator that keeps delivery times for latency
// samples), herald-api and 1, 2 and 4 herald-worker processes against the
// machine's PostgreSQL (a fresh schema) and Redis (claimed databases,
// flushed); seeds BENCH_N subscriptions minted by the simulators straight
// into the subscriptions table (COPY); sends one broadcast per worker count
// and, every 200 ms while it runs, an urgent notification to one of
// BENCH_URGENT probe subscriptions in turn; runs the library floor (a plain
// webpush-go loop) and a web-push + BullMQ pipeline against the same
// simulator; and prints a table and writes JSON.
//
// Environment (all optional): BENCH_N (100000), BENCH_WORKERS ("1,2,4"; the
// first count is the headline), BENCH_CONCURRENCY (256, per worker and for
// the floor), BENCH_FLOOR_N (min(N, 50000)), BENCH_BULLMQ_N (20000; 0 skips
// it), BENCH_BULLMQ_CONCURRENCY (100), BENCH_PROBES (500), BENCH_URGENT (40, at least 1),
// BENCH_OUT (bench/results/latest.json), BENCH_BIN (a directory with prebuilt
// binaries), BENCH_PPROF (a directory for a worker CPU profile),
// BENCH_PPROF_SECONDS (10), BENCH_DATABASE_URL, BENCH_REDIS_URL,
// BENCH_TARGETING (1; 0 skips the targeting figures, measured with the
// first worker count: the fan-out time of a 3-topic segment holding every
// subscription against all's, and deliveries/s with a frequency cap on
// against off).
// BENCH_IMPORT_N (1000000 lines through POST /v1/subscriptions/import, last;
// 0 skips it), BENCH_ONLY=import (the import alone), targeting (the
// targeting figures alone) or personalized (a plain and a personalised
// broadcast, then a plain one). BENCH_PERSONALIZED (1: after the headline
// round, a personalised broadcast and another plain one with the same
// workers; 0 skips them).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

type config struct {
	n, floorN, bullmqN, probes, urgent     int
	concurrency, bullmqConcurrency         int
	workers                                []int
	out, binDir, pprofDir, dbURL, redisURL string
	pprofSeconds                           int
	targeting                              bool
	importN                                int
	only                                   string
	personalized                           bool
}

func readConfig() (config, error) {
	var problems []string
	num := func(name string, def int) int {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			problems = append(problems, fmt.Sprintf("%s=%q: want a whole number >= 0", name, v))
		}
		return n
	}
	str := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	c := config{
		n: num("BENCH_N", 100000), bullmqN: num("BENCH_BULLMQ_N", 20000), probes: num("BENCH_PROBES", 500),
		urgent: num("BENCH_URGENT", 40), concurrency: num("BENCH_CONCURRENCY", 256),
		bullmqConcurrency: num("BENCH_BULLMQ_CONCURRENCY", 100), pprofSeconds: num("BENCH_PPROF_SECONDS", 10),
		out: str("BENCH_OUT", "bench/results/latest.json"), binDir: os.Getenv("BENCH_BIN"), pprofDir: os.Getenv("BENCH_PPROF"),
		dbURL:    str("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		redisURL: str("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
	}
	c.floorN = num("BENCH_FLOOR_N", min(c.n, 50000))
	c.targeting = num("BENCH_TARGETING", 1) == 1
	c.importN, c.only = num("BENCH_IMPORT_N", 1000000), os.Getenv("BENCH_ONLY")
	if c.only != "" && c.only != "import" && c.only != "targeting" && c.only != "personalized" {
		problems = append(problems, fmt.Sprintf("BENCH_ONLY=%q: the parts that run alone are import, targeting and personalized", c.only))
	}
	c.personalized = num("BENCH_PERSONALIZED", 1) != 0
	for w := range strings.SplitSeq(str("BENCH_WORKERS", "1,2,4"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 || n > 16 {
			problems = append(problems, fmt.Sprintf("BENCH_WORKERS: %q is not a worker count from 1 to 16", w))
		}
		c.workers = append(c.workers, n)
	}
	if c.n < 1 || c.concurrency < 1 || c.urgent < 1 {
		problems = append(problems, "BENCH_N, BENCH_CONCURRENCY and BENCH_URGENT must be at least 1")
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if os.Getenv(floorChildEnv) == "1" {
		if err := floorChildMain(os.Args[1:]); err != nil {
			slog.Error("floor process failed", "err", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("herald-bench failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := readConfig()
	if err != nil {
		return err
	}
	if cfg.only == "import" {
		return runImportOnly(ctx, cfg)
	}
	b := &bench{cfg: cfg}
	defer b.close()
	if err := b.setup(ctx); err != nil {
		return err
	}
	res := &result{Config: cfg.public()}
	if b.payload, err = b.samplePayload(ctx); err != nil {
		return err
	}
	if cfg.only == "personalized" {
		w := cfg.workers[0]
		plain, err := b.runRound(ctx, w, broadcastBody(map[string]any{"all": true}))
		if err != nil {
			return err
		}
		res.Rounds = append(res.Rounds, plain)
		if res.Personalized, err = b.runPersonalized(ctx, w, plain); err != nil {
			return err
		}
		res.compute()
		res.print(os.Stdout)
		return res.write(cfg.out)
	}
	if cfg.only == "targeting" {
		if res.Targeting, err = b.runTargeting(ctx, cfg.workers[0]); err != nil {
			return fmt.Errorf("targeting: %w", err)
		}
		res.compute()
		res.print(os.Stdout)
		return res.write(cfg.out)
	}
	// The machine is shared and noisy: the floor runs right before and right
	// after the headline round and counts as their mean, and the BullMQ
	// pipeline runs right after, so that the ratios compare neighbours.
	floor := func(label string, sameHeader bool, n int) (*floorResult, error) {
		slog.Info("library floor", "run", label, "n", n, "concurrency", cfg.concurrency)
		return b.runFloor(ctx, n, cfg.concurrency, sameHeader)
	}
	before, err := floor("before", true, cfg.floorN)
	if err != nil {
		return err
	}
	for i, w := range cfg.workers {
		slog.Info("broadcast", "subscriptions", cfg.n+cfg.probes+cfg.urgent, "workers", w)
		r, err := b.runRound(ctx, w, broadcastBody(map[string]any{"all": true}))
		if err != nil {
			return fmt.Errorf("round with %d workers: %w", w, err)
		}
		res.Rounds = append(res.Rounds, r)
		slog.Info("round done", "workers", w, "deliveries_per_second", int(r.DeliveriesPerSec))
		if i > 0 {
			continue
		}
		after, err := floor("after", true, cfg.floorN)
		if err != nil {
			return err
		}
		res.FloorRuns = []*floorResult{before, after}
		res.Floor = meanFloor(before, after)
		if cfg.bullmqN > 0 {
			slog.Info("web-push + BullMQ", "n", cfg.bullmqN, "concurrency", cfg.bullmqConcurrency)
			if res.BullMQ, err = b.runBullMQ(ctx, cfg.bullmqN, cfg.bullmqConcurrency); err != nil {
				return err
			}
		}
		if cfg.personalized {
			if res.Personalized, err = b.runPersonalized(ctx, w, r); err != nil {
				return err
			}
		}
	}
	if cfg.targeting {
		if res.Targeting, err = b.runTargeting(ctx, cfg.workers[0]); err != nil {
			return fmt.Errorf("targeting: %w", err)
		}
	}
	if res.FloorOwnHeader, err = floor("webpush-go's own header per call", false, min(cfg.floorN, 20000)); err != nil {
		return err
	}
	if res.Storage, err = measureStorage(ctx, b.dbURL, b.schema); err != nil {
		return err
	}
	if cfg.importN > 0 {
		slog.Info("subscriber import", "lines", cfg.importN)
		if res.Import, err = b.runImport(ctx, cfg.importN); err != nil {
			return err
		}
	}
	res.compute()
	res.print(os.Stdout)
	return res.write(cfg.out)
}

// bench is the running environment.
type bench struct {
	cfg                   config
	dir                   string
	schema, dbURL         string
	redis                 *redisClaim
	mainProc, probeProc   *proc
	apiProc               *proc
	main, probe           sim
	api                   *api
	heraldEnv             []string
	mainSubs              []simSub
	probeSubs, urgentSubs []probeSub
	payload               string
	broadcastID           string
	broadcastRunning      atomic.Bool
	workerAddr            string
	profiled              bool
}

// probeSub is a probe simulator subscription and its id in Herald.
type probeSub struct{ simID, heraldID string }
