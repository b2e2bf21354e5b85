package ctl

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

func (a *app) notificationsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "notifications", Aliases: []string{"notification"}, Short: "List, show, wait for and cancel notifications (API key)"}
	get := &cobra.Command{
		Use: "get NOTIFICATION_ID", Short: "Show a notification and its counts", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			n, err := a.client().GetNotification(ctx, args[0])
			if err != nil {
				return err
			}
			return a.show(n, func(w io.Writer) { writeNotification(w, n) })
		},
	}
	var key string
	cancelCmd := &cobra.Command{
		Use:   "cancel (NOTIFICATION_ID | --key CANCEL_KEY)",
		Short: "Cancel what has not been sent yet: one notification, or every one sent with a cancel key",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (key != "") {
				return usagef("notifications cancel: give a notification id or --key, not both")
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			if key != "" {
				n, err := a.client().CancelByKey(ctx, key)
				if err != nil {
					return err
				}
				return a.report(map[string]any{"cancel_key": key, "cancelled": n}, "cancelled %d notifications with cancel key %q", n, key)
			}
			n, err := a.client().CancelNotification(ctx, args[0])
			if err != nil {
				return err
			}
			return a.show(n, func(w io.Writer) { writeNotification(w, n) })
		},
	}
	cancelCmd.Flags().StringVar(&key, "key", "", "cancel every notification sent with this cancel_key")
	cmd.AddCommand(a.notificationsList(), get, cancelCmd, a.notificationsWait())
	return cmd
}

func (a *app) notificationsWait() *cobra.Command {
	var s sendFlags
	cmd := &cobra.Command{
		Use: "wait NOTIFICATION_ID", Short: "Show a notification's progress until it completes, then its counts (exit 0 once completed)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.waitFor(cmd.Context(), args[0], s.waitTimeout, s.interval)
		},
	}
	cmd.Flags().DurationVar(&s.waitTimeout, "wait-timeout", 0, "give up after this long (exit 6; 0: wait as long as it takes)")
	cmd.Flags().DurationVar(&s.interval, "interval", 500*time.Millisecond, "how often to ask for progress")
	return cmd
}

func writeNotification(w io.Writer, n *heraldclient.Notification) {
	c := n.Counts
	fields(w, "id", n.ID, "status", n.Status, "title", n.Notification.Title, "target", fmt.Sprint(n.Target),
		"queue", n.Queue, "created_at", when(n.CreatedAt), "send_at", whenPtr(n.SendAt), "completed_at", whenPtr(n.CompletedAt),
		"targeted", i64(c.Targeted), "delivered", i64(c.Delivered), "gone", i64(c.Gone), "dead", i64(c.Dead),
		"capped", i64(c.Capped), "pending", i64(c.Pending), "received", i64(c.Received), "clicked", i64(c.Clicked),
		"dismissed", i64(c.Dismissed))
	for _, warning := range n.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
