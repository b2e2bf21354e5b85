// Package bench holds Herald's end-to-end benchmark: cmd/herald-bench runs
// herald-pushsim, herald-api and herald-worker processes against a real
// PostgreSQL and Redis, sends one broadcast and measures it against the
// library floor (a plain webpush-go loop) and a web-push + BullMQ pipeline
// (bullmq/). `make bench` runs it; BENCHMARKS.md records its latest figures.
package bench
