package ctl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

// subscriptionFilter is the listing and export flags.
type subscriptionFilter struct {
	f heraldclient.SubscriptionFilter
}

func (s *subscriptionFilter) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.f.UserID, "user", "", "only this user's subscriptions")
	cmd.Flags().StringVar(&s.f.Topic, "topic", "", "only subscriptions following this topic")
	cmd.Flags().StringVar(&s.f.Status, "status", "", "only this status: active, gone, unsubscribed, expired or unresponsive")
}

func (a *app) subscriptionsList() *cobra.Command {
	var l listFlags
	var f subscriptionFilter
	cmd := &cobra.Command{
		Use: "list [--user ID] [--topic T] [--status S]", Short: "List the app's subscriptions, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			out, err := fetchList(ctx, l, func(ctx context.Context, o heraldclient.ListOptions) (*heraldclient.Page[heraldclient.Subscription], error) {
				return a.client().ListSubscriptions(ctx, f.f, o)
			})
			if err != nil {
				return err
			}
			return printList(a, out, []string{"ID", "STATUS", "USER", "TOPICS", "ENDPOINT", "CREATED"},
				func(s heraldclient.Subscription) []string {
					user := "-"
					if s.UserID != nil {
						user = *s.UserID
					}
					return []string{s.ID, s.Status, user, orDash(strings.Join(s.Topics, ",")), oneLine(s.Endpoint, 60), when(s.CreatedAt)}
				})
		},
	}
	l.register(cmd)
	f.register(cmd)
	return cmd
}

// The import and export take as long as the file does: --timeout does not
// bound them (Ctrl-C does).
func (a *app) subscriptionsImport() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "import --file SUBS.ndjson",
		Short: "Import subscriptions from NDJSON (one PushSubscription.toJSON() or web-push {endpoint, keys} row a line; - for standard input)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usagef("subscriptions import: give --file SUBS.ndjson (or - for standard input)")
			}
			in := a.env.Stdin
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return usagef("read %s: %v", file, err)
				}
				defer f.Close()
				in = f
			}
			res, err := a.client().ImportSubscriptions(cmd.Context(), bufio.NewReaderSize(in, 256<<10))
			if err != nil {
				return err
			}
			return a.show(res, func(w io.Writer) {
				fields(w, "lines", i64(res.Lines), "created", i64(res.Created), "updated", i64(res.Updated), "refused", i64(res.RefusedCount))
				for _, r := range res.Refused {
					fmt.Fprintf(w, "line %d: %s: %s\n", r.Line, r.Code, r.Message)
				}
				if shown := int64(len(res.Refused)); shown < res.RefusedCount {
					fmt.Fprintf(w, "(%d more refusals not listed)\n", res.RefusedCount-shown)
				}
			})
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "NDJSON file to import, - for standard input")
	return cmd
}

func (a *app) subscriptionsExport() *cobra.Command {
	var file string
	var f subscriptionFilter
	cmd := &cobra.Command{
		Use:   "export [--file OUT.ndjson] [--user ID] [--topic T] [--status S]",
		Short: "Export the app's subscriptions as NDJSON, which import takes as it is (standard output by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := a.env.Stdout
			if file != "" && file != "-" {
				w, err := os.Create(file)
				if err != nil {
					return usagef("create %s: %v", file, err)
				}
				defer w.Close()
				out = w
			}
			bw := bufio.NewWriterSize(out, 256<<10)
			n, err := a.client().ExportSubscriptions(cmd.Context(), f.f, bw)
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				return err
			}
			if out != a.env.Stdout {
				fmt.Fprintf(a.env.Stderr, "exported %d subscriptions to %s\n", n, file)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "write to this file instead of standard output")
	f.register(cmd)
	return cmd
}

func (a *app) notificationsList() *cobra.Command {
	var l listFlags
	var status, since string
	cmd := &cobra.Command{
		Use: "list [--status S] [--since RFC3339]", Short: "List the app's notifications, newest first, with their counts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := heraldclient.NotificationFilter{Status: status}
			if since != "" {
				t, err := time.Parse(time.RFC3339, since)
				if err != nil {
					return usagef("--since %q: want an RFC 3339 time, like 2026-12-24T09:00:00Z", since)
				}
				f.Since = t
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			out, err := fetchList(ctx, l, func(ctx context.Context, o heraldclient.ListOptions) (*heraldclient.Page[heraldclient.Notification], error) {
				return a.client().ListNotifications(ctx, f, o)
			})
			if err != nil {
				return err
			}
			return printList(a, out, []string{"ID", "STATUS", "TITLE", "TARGETED", "DELIVERED", "GONE", "DEAD", "PENDING", "CREATED"},
				func(n heraldclient.Notification) []string {
					c := n.Counts
					return []string{n.ID, n.Status, oneLine(n.Notification.Title, 40), i64(c.Targeted), i64(c.Delivered),
						i64(c.Gone), i64(c.Dead), i64(c.Pending), when(n.CreatedAt)}
				})
		},
	}
	l.register(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only this status: scheduled, queued, sending, completed or cancelled")
	cmd.Flags().StringVar(&since, "since", "", "only notifications created at or after this RFC 3339 time")
	return cmd
}
