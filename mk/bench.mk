# The end-to-end benchmark (issue: performance): herald-pushsim, herald-api
# and 1, 2 and 4 herald-worker processes on the local PostgreSQL and Redis,
# against the library floor and a web-push + BullMQ pipeline. Prints its
# figures and writes bench/results/latest.json. Knobs: BENCH_N (100000),
# BENCH_WORKERS (1,2,4), BENCH_BULLMQ_N (20000; 0 skips node), BENCH_TARGETING
# (1; 0 skips the segment fan-out and caps on/off figures; BENCH_ONLY=targeting
# runs just them), BENCH_PPROF
# (directory for a worker CPU profile); see bench/cmd/herald-bench.
# Not part of `make test`. The BullMQ pipeline installs with `npm install`,
# which keeps the lockfile's versions: recent npm refuses `npm ci` on a
# lockfile without other platforms' optional msgpackr binaries.
.PHONY: bench bench-micro

bench:
	@if [ "$${BENCH_BULLMQ_N:-20000}" != "0" ] && [ ! -d bench/bullmq/node_modules ]; then \
		cd bench/bullmq && npm install --no-audit --no-fund; fi
	$(GO) run ./bench/cmd/herald-bench

# The Go micro-benchmarks (pushsend, sim, ...).
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(foreach m,$(MODULES),$(MODPATH)/$(m)/...)

# Retention keeps the database from growing (issue: stores at scale): days
# simulated on a fresh PostgreSQL schema, a retention pass each day, the
# sizes printed. Knobs: BENCH_RETENTION_DAYS (24), BENCH_RETENTION_PER_DAY
# (100000), HERALD_RETENTION_DELIVERIES (7d here); see bench/cmd/retention-bench.
.PHONY: bench-retention
bench-retention:
	$(GO) run ./bench/cmd/retention-bench
