package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/vapid"
)

// appFlag adds --app (HERALD_APP_ID) to cmd.
func (a *app) appFlag(cmd *cobra.Command, id *string) {
	cmd.Flags().StringVar(id, "app", a.env.Getenv("HERALD_APP_ID"), "the app's id (HERALD_APP_ID)")
}

func needApp(id string) error {
	if id == "" {
		return usagef("give the app with --app APP_ID (or HERALD_APP_ID)")
	}
	return nil
}

func (a *app) apiKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "api-keys", Short: "Create, list and revoke an app's API keys (admin token)",
		Long: "An app has several API keys at once, so a key rotates without downtime: create the new one, deploy it, revoke the old one."}
	var appID string
	create := &cobra.Command{
		Use: "create --app APP_ID", Short: "Create an API key; it is shown only once", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			k, err := a.client().CreateAPIKey(ctx, appID)
			if err != nil {
				return err
			}
			return a.show(k, func(w io.Writer) {
				fields(w, "id", k.ID, "api_key", k.APIKey, "prefix", k.Prefix, "created_at", when(k.CreatedAt))
				fmt.Fprintln(w, "\nThe API key is shown only now: keep it.")
			})
		},
	}
	list := &cobra.Command{
		Use: "list --app APP_ID", Short: "List an app's API keys (never the keys themselves)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			page, err := a.client().ListAPIKeys(ctx, appID)
			if err != nil {
				return err
			}
			return printList(a, listedPage(page), []string{"ID", "PREFIX", "CREATED", "LAST USED"}, func(k heraldclient.APIKey) []string {
				return []string{k.ID, k.Prefix, when(k.CreatedAt), whenPtr(k.LastUsedAt)}
			})
		},
	}
	revoke := &cobra.Command{
		Use: "revoke --app APP_ID KEY_ID", Short: "Revoke an API key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			if err := a.client().RevokeAPIKey(ctx, appID, args[0]); err != nil {
				return err
			}
			return a.report(map[string]any{"id": args[0], "revoked": true}, "revoked API key %s", args[0])
		},
	}
	for _, c := range []*cobra.Command{create, list, revoke} {
		a.appFlag(c, &appID)
		cmd.AddCommand(c)
	}
	return cmd
}

// listedPage is one page as a list to print.
func listedPage[T answer](p *heraldclient.Page[T]) listed[T] {
	l := listed[T]{items: p.Items, next: p.NextAfter}
	for _, it := range p.Items {
		l.raw = append(l.raw, it.JSON())
	}
	return l
}

// vapidPair is a key pair as `vapid generate --json` prints it.
type vapidPair struct {
	PublicKey  string `json:"public_key"`
	PrivateKey string `json:"private_key"`
}

func (a *app) vapidCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "vapid", Short: "Generate VAPID key pairs; import, rotate and list an app's (admin token)"}
	var appID, pub, priv, file string
	generate := &cobra.Command{
		Use: "generate", Short: "Print a new VAPID key pair (web-push generate-vapid-keys' layout; --json for JSON)", Args: cobra.NoArgs,
		Long: `Generates a VAPID key pair (P-256, unpadded base64url) in the layout the web-push
tools print. The public key is what a page passes to pushManager.subscribe as
applicationServerKey; keep the private key secret. Both import as they are printed
(vapid import, apps create --vapid-public-key/--vapid-private-key).`,
		RunE: func(*cobra.Command, []string) error {
			k, err := vapid.Generate()
			if err != nil {
				return err
			}
			if a.asJSON {
				return a.printValue(vapidPair{k.PublicKey(), k.PrivateKey()})
			}
			_, err = fmt.Fprintf(a.env.Stdout, "=======================================\n\nPublic Key:\n%s\n\nPrivate Key:\n%s\n\n=======================================\n",
				k.PublicKey(), k.PrivateKey())
			return err
		},
	}
	importCmd := &cobra.Command{
		Use:   "import --app APP_ID (--public-key K --private-key K | --file PAIR.json)",
		Short: "Make an existing key pair the app's active key (the previous one is retired, still signing its subscriptions)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			if file != "" {
				var p vapidPair
				if err := readJSONFile(file, a.env.Stdin, &p); err != nil {
					return err
				}
				pub, priv = p.PublicKey, p.PrivateKey
			}
			if pub == "" || priv == "" {
				return usagef("vapid import: give --public-key and --private-key, or --file with {\"public_key\", \"private_key\"}")
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			k, err := a.client().ImportVAPIDKey(ctx, appID, pub, priv)
			if err != nil {
				return err
			}
			return a.show(k, func(w io.Writer) { writeVAPIDKey(w, k) })
		},
	}
	importCmd.Flags().StringVar(&pub, "public-key", "", "public key, base64url")
	importCmd.Flags().StringVar(&priv, "private-key", "", "private key, base64url")
	importCmd.Flags().StringVar(&file, "file", "", "a JSON file {\"public_key\", \"private_key\"} (vapid generate --json); - for standard input")
	rotate := &cobra.Command{
		Use: "rotate --app APP_ID", Short: "Generate a key that becomes the app's active one (subscriptions move over on their next page load)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			k, err := a.client().RotateVAPIDKey(ctx, appID)
			if err != nil {
				return err
			}
			return a.show(k, func(w io.Writer) { writeVAPIDKey(w, k) })
		},
	}
	list := &cobra.Command{
		Use: "list --app APP_ID", Short: "List the app's VAPID keys with the active subscriptions each still signs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needApp(appID); err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			page, err := a.client().ListVAPIDKeys(ctx, appID)
			if err != nil {
				return err
			}
			return printList(a, listedPage(page), []string{"ID", "ACTIVE", "SUBSCRIPTIONS", "PUBLIC KEY", "CREATED", "RETIRED"},
				func(k heraldclient.VAPIDKey) []string {
					return []string{k.ID, strconv.FormatBool(k.Active), strconv.FormatInt(k.ActiveSubscriptions, 10), k.PublicKey,
						when(k.CreatedAt), whenPtr(k.RetiredAt)}
				})
		},
	}
	for _, c := range []*cobra.Command{importCmd, rotate, list} {
		a.appFlag(c, &appID)
	}
	cmd.AddCommand(generate, importCmd, rotate, list)
	return cmd
}

func writeVAPIDKey(w io.Writer, k *heraldclient.VAPIDKey) {
	fields(w, "id", k.ID, "public_key", k.PublicKey, "active", strconv.FormatBool(k.Active), "created_at", when(k.CreatedAt))
}

// readJSONFile decodes a JSON file, or standard input for "-".
func readJSONFile(name string, stdin io.Reader, v any) error {
	data, err := readInput(name, stdin)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return usagef("%s: not the JSON expected: %v", name, err)
	}
	return nil
}

// readInput reads a file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 8<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, usagef("read %s: %v", name, err)
	}
	return data, nil
}
