// Package ctl is heraldctl's commands, on cobra, over the Go client
// (pkg/heraldclient). Run is the whole program; main only wires the
// process's streams and environment, so tests run commands in process.
package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

// Exit codes, documented in `heraldctl --help`.
const (
	ExitOK           = 0 // done
	ExitFailure      = 1 // Herald could not be reached, failed (5xx), or anything else went wrong
	ExitUsage        = 2 // bad command line: unknown command or flag, missing argument, unreadable input
	ExitRefused      = 3 // Herald refused the request (4xx other than 401, 403, 404): the message says what to fix
	ExitAuth         = 4 // missing, wrong or revoked credentials (401, 403)
	ExitNotFound     = 5 // no such app, key, notification, subscription or dead letter (404)
	ExitNotCompleted = 6 // send --wait: cancelled, or --wait-timeout passed before it completed
)

const exitCodesHelp = `Exit codes:
  0  done
  1  Herald could not be reached, failed (5xx), or anything else went wrong
  2  bad command line: unknown command or flag, missing argument, unreadable input
  3  Herald refused the request (4xx other than 401, 403, 404): the message says what to fix
  4  missing, wrong or revoked credentials (401, 403)
  5  no such app, key, notification, subscription or dead letter (404)
  6  send --wait: the notification was cancelled, or --wait-timeout passed first`

const configHelp = `Configuration (flags override the environment):
  HERALD_API_URL      --api-url      the API (default http://127.0.0.1:8080)
  HERALD_API_KEY      --api-key      an app's API key: send, notifications, subscriptions, dead-letters, stats
  HERALD_ADMIN_TOKEN  --admin-token  the admin token: apps, api-keys, vapid import|rotate|list`

// Env is what the program gets from its process.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Version string
}

// usageError is a bad command line (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errNotCompleted ends send --wait without completion (exit 6).
var errNotCompleted = errors.New("the notification did not complete")

// Run runs heraldctl with args and returns its exit code.
func Run(ctx context.Context, args []string, env Env) int {
	root := newRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	switch {
	case errors.Is(err, heraldclient.ErrNoAPIKey):
		fmt.Fprintln(env.Stderr, "heraldctl: this command acts for one app and needs its API key: set HERALD_API_KEY or pass --api-key")
	case errors.Is(err, heraldclient.ErrNoAdminToken):
		fmt.Fprintln(env.Stderr, "heraldctl: this command needs the admin token: set HERALD_ADMIN_TOKEN or pass --admin-token (make run prints it)")
	default:
		fmt.Fprintln(env.Stderr, "heraldctl:", err)
	}
	return exitCode(err)
}

// Command is heraldctl's command tree (for documentation and tests).
func Command(env Env) *cobra.Command { return newRoot(env) }

func exitCode(err error) int {
	var ue usageError
	switch status := heraldclient.StatusOf(err); {
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errNotCompleted):
		return ExitNotCompleted
	case errors.Is(err, heraldclient.ErrNoAPIKey), errors.Is(err, heraldclient.ErrNoAdminToken), status == 401, status == 403:
		return ExitAuth
	case status == 404:
		return ExitNotFound
	case status >= 400 && status < 500:
		return ExitRefused
	}
	// cobra's own command-line errors are plain errors.
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "invalid argument", "flag needs an argument", "accepts ", "requires "} {
		if strings.HasPrefix(msg, prefix) {
			return ExitUsage
		}
	}
	return ExitFailure
}

// app is the state every command shares: configuration and output.
type app struct {
	env        Env
	apiURL     string
	apiKey     string
	adminToken string
	asJSON     bool
	timeout    time.Duration
}

// client is the Go client configured from flags and environment.
func (a *app) client() *heraldclient.Client {
	key, token := a.apiKey, a.adminToken
	if key == "" {
		key = a.env.Getenv("HERALD_API_KEY")
	}
	if token == "" {
		token = a.env.Getenv("HERALD_ADMIN_TOKEN")
	}
	return heraldclient.New(a.apiURL, heraldclient.WithAPIKey(key), heraldclient.WithAdminToken(token),
		heraldclient.WithUserAgent("heraldctl/"+a.env.Version))
}

// call bounds one command's requests by --timeout.
func (a *app) call(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	if a.timeout <= 0 {
		return context.WithCancel(cmd.Context())
	}
	return context.WithTimeout(cmd.Context(), a.timeout)
}

func newRoot(env Env) *cobra.Command {
	a := &app{env: env}
	root := &cobra.Command{
		Use:   "heraldctl",
		Short: "Administer and drive a running Herald",
		Long: `heraldctl administers and drives a running Herald: apps and their keys, sends
(with a live progress bar), notifications, subscriptions, dead letters, stats.
Every command takes --json to print what the API answered.

` + configHelp + `

` + exitCodesHelp,
		Version:       versionString(env.Version),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.SetVersionTemplate("heraldctl {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.apiURL, "api-url", envOr(env.Getenv, "HERALD_API_URL", "http://127.0.0.1:8080"), "Herald API base URL (HERALD_API_URL)")
	// Secrets default to "" so --help never prints them; client() reads the environment.
	pf.StringVar(&a.apiKey, "api-key", "", "the app's API key (default $HERALD_API_KEY)")
	pf.StringVar(&a.adminToken, "admin-token", "", "the admin token (default $HERALD_ADMIN_TOKEN)")
	pf.BoolVar(&a.asJSON, "json", false, "print the API's JSON answer instead of text")
	pf.DurationVar(&a.timeout, "timeout", 30*time.Second, "longest a command waits for the API (0: no limit; send --wait has its own --wait-timeout)")

	root.AddCommand(a.appsCommand(), a.apiKeysCommand(), a.vapidCommand(), a.sendCommand(), a.notificationsCommand(),
		a.subscriptionsCommand(), a.deadLettersCommand(), a.statsCommand(), a.segmentsCommand())
	for _, c := range root.Commands() {
		markUsageErrors(c)
	}
	return root
}

// markUsageErrors makes every Args validator's error a usage error.
func markUsageErrors(c *cobra.Command) {
	if c.Args != nil {
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError{fmt.Errorf("%s: %w (see %s --help)", cmd.CommandPath(), err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// versionString is the build's version and, when the build recorded it,
// its commit.
func versionString(v string) string {
	if v == "" {
		v = "dev"
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + info.GoVersion
	}
	return v
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// isTerminal reports whether w is a terminal (progress bars and live views).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
