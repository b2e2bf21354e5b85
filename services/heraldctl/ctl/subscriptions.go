package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

func (a *app) subscriptionsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "subscriptions", Aliases: []string{"subscription"}, Short: "List, show, add, remove, import, export and simulate subscriptions (API key)"}
	get := &cobra.Command{
		Use: "get SUBSCRIPTION_ID", Short: "Show a subscription", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			s, err := a.client().GetSubscription(ctx, args[0])
			if err != nil {
				return err
			}
			return a.show(s, func(w io.Writer) {
				user := "-"
				if s.UserID != nil {
					user = *s.UserID
				}
				fields(w, "id", s.ID, "status", s.Status, "endpoint", s.Endpoint, "user_id", user,
					"topics", orDash(strings.Join(s.Topics, ",")), "timezone", orDash(s.Timezone), "created_at", when(s.CreatedAt),
					"last_success_at", whenPtr(s.LastSuccessAt), "consecutive_failures", fmt.Sprint(s.ConsecutiveFailures))
			})
		},
	}
	remove := &cobra.Command{
		Use: "delete SUBSCRIPTION_ID", Short: "Unsubscribe a subscription", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			if err := a.client().Unsubscribe(ctx, args[0]); err != nil {
				return err
			}
			return a.report(map[string]any{"id": args[0], "status": heraldclient.SubscriptionUnsubscribed}, "unsubscribed %s", args[0])
		},
	}
	cmd.AddCommand(a.subscriptionsList(), get, a.subscriptionsAdd(), remove, a.subscriptionsImport(), a.subscriptionsExport(), a.subscriptionsSimulate())
	return cmd
}

// registration is who a subscription belongs to, from flags.
type registration struct {
	userID   string
	topics   []string
	timezone string
}

func (r *registration) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.userID, "user", "", "user id the subscription belongs to")
	cmd.Flags().StringArrayVar(&r.topics, "topic", nil, "topic it subscribes to (repeatable)")
	cmd.Flags().StringVar(&r.timezone, "timezone", "", "IANA time zone, like Europe/Paris")
}

func (r *registration) request(s heraldclient.PushSubscription) *heraldclient.SubscribeRequest {
	return &heraldclient.SubscribeRequest{Subscription: s, UserID: r.userID, Topics: r.topics, Timezone: r.timezone}
}

func (a *app) subscriptionsAdd() *cobra.Command {
	var reg registration
	var file string
	cmd := &cobra.Command{
		Use:   "add --file SUB.json [--user ID] [--topic T]...",
		Short: "Register a subscription (a PushSubscription.toJSON() file) for the app",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usagef("subscriptions add: --file is required (- for standard input)")
			}
			var sub localSubscription
			if err := readJSONFile(file, a.env.Stdin, &sub); err != nil {
				return err
			}
			push := sub.PushSubscription
			if sub.Subscription != nil {
				push = *sub.Subscription
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			s, err := a.client().Subscribe(ctx, reg.request(push))
			if err != nil {
				return err
			}
			return a.show(s, func(w io.Writer) { fmt.Fprintf(w, "subscription %s %s\n", s.ID, createdWord(s.Created)) })
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "the PushSubscription.toJSON() file (- for standard input)")
	reg.register(cmd)
	return cmd
}

func createdWord(created bool) string {
	if created {
		return "created"
	}
	return "updated (the endpoint was known)"
}

// DefaultPushsimURL is where herald-pushsim, and the push simulator make
// run starts in dev mode, listen by default.
const DefaultPushsimURL = "http://127.0.0.1:8090"

func (a *app) subscriptionsSimulate() *cobra.Command {
	var reg registration
	var pushsimURL, behavior, appID string
	var count int
	cmd := &cobra.Command{
		Use:   "simulate [--count N] [--pushsim URL]",
		Short: "Register simulated browsers: subscriptions minted by a push simulator, to see deliveries without a browser",
		Long: `Mints N subscriptions on a push simulator (herald-pushsim, or the one make run
starts in dev mode) and registers them for the app. The simulator verifies the
VAPID signature and decrypts every push it gets, so a send to them shows real
deliveries; --behavior makes them fail on purpose (gone, always_fail, fail_first:2,
rate_limit:1:5, slow:200). Herald must accept the simulator's origin as a push
endpoint (HERALD_PUSH_EXTRA_ORIGINS; dev mode does it for its own simulator).`,
		Example: `  heraldctl subscriptions simulate --count 3 --topic news
  heraldctl subscriptions simulate --count 2 --behavior gone`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 1 || count > 10000 {
				return usagef("subscriptions simulate: --count must be 1 to 10000")
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			key := ""
			if appID != "" {
				var err error
				if key, err = a.client().VAPIDPublicKey(ctx, appID); err != nil {
					return err
				}
			}
			subs, err := mintSimulated(ctx, pushsimURL, count, behavior, key)
			if err != nil {
				return err
			}
			var ids []string
			for _, s := range subs {
				got, err := a.client().Subscribe(ctx, reg.request(s))
				if err != nil {
					return err
				}
				ids = append(ids, got.ID)
			}
			if a.asJSON {
				return a.printValue(map[string]any{"ids": ids})
			}
			for _, id := range ids {
				fmt.Fprintln(a.env.Stdout, id)
			}
			fmt.Fprintf(a.env.Stderr, "registered %d simulated subscriptions (push simulator %s)\n", len(ids), pushsimURL)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&count, "count", 1, "how many")
	f.StringVar(&pushsimURL, "pushsim", envOr(a.env.Getenv, "HERALD_PUSHSIM_URL", DefaultPushsimURL), "the push simulator (HERALD_PUSHSIM_URL)")
	f.StringVar(&behavior, "behavior", "", "how they answer pushes: ok (default), gone, not_found, always_fail, fail_first:K, rate_limit:K:S, slow:MS")
	a.appFlag(cmd, &appID)
	cmd.Flags().Lookup("app").Usage = "bind them to this app's VAPID key, as a browser would (HERALD_APP_ID; default: any key)"
	reg.register(cmd)
	return cmd
}

// mintSimulated asks a push simulator's control API for subscriptions.
func mintSimulated(ctx context.Context, base string, count int, behavior, key string) ([]heraldclient.PushSubscription, error) {
	body, _ := json.Marshal(map[string]any{"count": count, "behavior": behavior, "application_server_key": key})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/_sim/subscriptions", bytes.NewReader(body))
	if err != nil {
		return nil, usagef("--pushsim %q: %v", base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("push simulator at %s: %w (start one: make run in dev mode, or bin/herald-pushsim)", base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("push simulator at %s: %s: %s", base, resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		Subscriptions []heraldclient.PushSubscription `json:"subscriptions"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("push simulator at %s: %w", base, err)
	}
	return out.Subscriptions, nil
}
