// Command heraldctl administers and drives a running Herald from a shell:
// apps, API keys, VAPID keys, sends (with a live progress bar), notifications,
// subscriptions, dead letters and stats. `heraldctl --help` lists the
// commands, the configuration and the exit codes; the commands live in
// package ctl.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/heraldpush/herald/services/heraldctl/ctl"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctl.Run(ctx, os.Args[1:], ctl.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: version,
	})
	stop()
	os.Exit(code)
}
