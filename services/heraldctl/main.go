// Command heraldctl administers Herald: keys, and apps on a running API.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: heraldctl <command> [flags]

commands:
  vapid generate [--json]              print a new VAPID key pair
  apps create --name NAME [--origin URL]...
                                       create an app on a running API
                                       (HERALD_API_URL, HERALD_ADMIN_TOKEN)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "heraldctl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) < 2 {
		fmt.Fprint(stdout, usage)
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("missing command")
	}
	switch args[0] + " " + args[1] {
	case "vapid generate":
		return runVAPIDGenerate(args[2:], stdout)
	case "apps create":
		return runAppsCreate(ctx, args[2:], stdout, getenv)
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", args[0]+" "+args[1])
}
