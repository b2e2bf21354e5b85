package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

func (a *app) appsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "apps", Short: "List, show, create, update and delete apps (admin token)"}
	cmd.AddCommand(a.appsList(), a.appsGet(), a.appsCreate(), a.appsUpdate(), a.appsDelete())
	return cmd
}

func (a *app) appsList() *cobra.Command {
	var l listFlags
	cmd := &cobra.Command{
		Use: "list", Short: "List apps, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			out, err := fetchList(ctx, l, a.client().ListApps)
			if err != nil {
				return err
			}
			return printList(a, out, []string{"ID", "NAME", "ALLOWED ORIGINS", "CREATED"}, func(x heraldclient.App) []string {
				return []string{x.ID, x.Name, orDash(strings.Join(x.AllowedOrigins, ",")), when(x.CreatedAt)}
			})
		},
	}
	l.register(cmd)
	return cmd
}

func (a *app) appsGet() *cobra.Command {
	return &cobra.Command{
		Use: "get APP_ID", Short: "Show an app and its settings", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			x, err := a.client().GetApp(ctx, args[0])
			if err != nil {
				return err
			}
			return a.show(x, func(w io.Writer) { writeApp(w, x) })
		},
	}
}

func writeApp(w io.Writer, x *heraldclient.App) {
	pairs := []string{"id", x.ID, "name", x.Name, "allowed_origins", orDash(strings.Join(x.AllowedOrigins, ", ")),
		"vapid_public_key", x.VAPIDPublicKey, "created_at", when(x.CreatedAt), "updated_at", when(x.UpdatedAt)}
	names := make([]string, 0, len(x.Settings))
	for k := range x.Settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		pairs = append(pairs, k, string(x.Settings[k]))
	}
	fields(w, pairs...)
}

// settingFlags are --set name=JSON pairs, app settings by their JSON name.
func parseSettings(sets []string) (map[string]any, error) {
	out := map[string]any{}
	for _, s := range sets {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, usagef("--set %q: want name=JSON, like default_ttl=3600 or quiet_hours='{\"start\":\"22:00\",\"end\":\"08:00\"}'", s)
		}
		var v any
		if err := json.Unmarshal([]byte(value), &v); err != nil {
			v = value // a bare word is a string: default_timezone=Europe/Paris
		}
		out[name] = v
	}
	return out, nil
}

func (a *app) appsCreate() *cobra.Command {
	var req heraldclient.CreateAppRequest
	var sets []string
	var printEnv bool
	cmd := &cobra.Command{
		Use:   "create --name NAME [--origin URL]...",
		Short: "Create an app; prints its API key and identity secret, shown only once",
		Example: `  heraldctl apps create --name Shop --origin https://shop.example
  eval "$(heraldctl apps create --name Shop --origin http://127.0.0.1:8080 --env)"   # sets HERALD_API_KEY and HERALD_APP_ID
  heraldctl apps create --name Shop --vapid-public-key "$PUB" --vapid-private-key "$PRIV"   # keep a web-push key pair`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Name == "" {
				return usagef("apps create: --name is required")
			}
			settings, err := parseSettings(sets)
			if err != nil {
				return err
			}
			req.Settings = settings
			ctx, cancel := a.call(cmd)
			defer cancel()
			created, err := a.client().CreateApp(ctx, &req)
			if err != nil {
				return err
			}
			if printEnv {
				fmt.Fprintf(a.env.Stdout, "export HERALD_APP_ID=%s\nexport HERALD_API_KEY=%s\n", created.ID, created.APIKey)
				return nil
			}
			return a.show(created, func(w io.Writer) {
				writeApp(w, &created.App)
				fields(w, "api_key", created.APIKey, "identity_secret", created.IdentitySecret)
				fmt.Fprintln(w, "\nThe API key and the identity secret are shown only now: keep them.")
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "app name (required)")
	f.StringArrayVar(&req.AllowedOrigins, "origin", nil, "origin pages may subscribe from, like https://shop.example (repeatable)")
	f.StringVar(&req.VAPIDPublicKey, "vapid-public-key", "", "import this VAPID public key (base64url, as web-push prints it)")
	f.StringVar(&req.VAPIDPrivateKey, "vapid-private-key", "", "import this VAPID private key (with --vapid-public-key)")
	f.StringArrayVar(&sets, "set", nil, "an app setting, name=JSON, like default_ttl=3600 (repeatable)")
	f.BoolVar(&printEnv, "env", false, "print only shell exports of HERALD_APP_ID and HERALD_API_KEY")
	return cmd
}

func (a *app) appsUpdate() *cobra.Command {
	var name string
	var origins, sets []string
	var clearOrigins bool
	cmd := &cobra.Command{
		Use:   "update APP_ID [--name NAME] [--origin URL]... [--set name=JSON]...",
		Short: "Change an app's name, allowed origins or settings; the rest stays",
		Example: `  heraldctl apps update $APP --origin https://shop.example --origin https://eu.shop.example
  heraldctl apps update $APP --set quiet_hours='{"start":"22:00","end":"08:00"}' --set default_ttl=null`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			settings, err := parseSettings(sets)
			if err != nil {
				return err
			}
			u := &heraldclient.AppUpdate{Settings: settings}
			if cmd.Flags().Changed("name") {
				u.Name = &name
			}
			if len(origins) > 0 || clearOrigins {
				u.AllowedOrigins = &origins
			}
			if u.Name == nil && u.AllowedOrigins == nil && len(settings) == 0 {
				return usagef("apps update: nothing to change: give --name, --origin, --no-origins or --set")
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			x, err := a.client().UpdateApp(ctx, args[0], u)
			if err != nil {
				return err
			}
			return a.show(x, func(w io.Writer) { writeApp(w, x) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new name")
	f.StringArrayVar(&origins, "origin", nil, "allowed origin; the ones given replace the app's list (repeatable)")
	f.BoolVar(&clearOrigins, "no-origins", false, "allow no browser origin")
	f.StringArrayVar(&sets, "set", nil, "an app setting, name=JSON; null resets it to the default (repeatable)")
	return cmd
}

func (a *app) appsDelete() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete APP_ID",
		Short: "Delete an app and everything of it (refused while it is sending, unless --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			d, err := a.client().DeleteApp(ctx, args[0], force)
			if err != nil {
				return err
			}
			return a.show(d, func(w io.Writer) {
				c := d.Deleted
				fmt.Fprintf(w, "deleted app %s: %d subscriptions, %d notifications, %d dead letters, %d API keys, %d VAPID keys\n",
					d.ID, c.Subscriptions, c.Notifications, c.DeadLetters, c.APIKeys, c.VAPIDKeys)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even while notifications are scheduled, queued or sending (they stop)")
	return cmd
}
