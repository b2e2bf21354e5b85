package ctl

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

func (a *app) deadLettersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "dead-letters", Short: "List dead letters and send them again (API key)"}
	var l listFlags
	var notificationID string
	list := &cobra.Command{
		Use: "list [--notification ID]", Short: "List the app's dead letters, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			out, err := fetchList(ctx, l, a.client().ListDeadLetters)
			if err != nil {
				return err
			}
			if notificationID != "" {
				out = filterListed(out, func(d heraldclient.DeadLetter) bool { return d.NotificationID == notificationID })
			}
			return printList(a, out, []string{"ID", "NOTIFICATION", "SUBSCRIPTION", "ATTEMPTS", "STATUS", "ERROR", "RETRIED"},
				func(d heraldclient.DeadLetter) []string {
					return []string{d.ID, d.NotificationID, d.SubscriptionID, strconv.Itoa(d.Attempts), strconv.Itoa(d.LastStatus),
						oneLine(d.LastError, 60), whenPtr(d.RetriedAt)}
				})
		},
	}
	l.register(list)
	list.Flags().StringVar(&notificationID, "notification", "", "only this notification's dead letters")

	var all bool
	var retryNotification string
	retry := &cobra.Command{
		Use:   "retry (DEAD_LETTER_ID | --all --notification ID)",
		Short: "Send a dead letter again with a fresh retry budget, or every one of a notification",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) == 1, !all && len(args) == 0:
				return usagef("dead-letters retry: give one dead letter id, or --all --notification ID")
			case all && retryNotification == "":
				return usagef("dead-letters retry --all: say whose with --notification ID")
			}
			ctx, cancel := a.call(cmd)
			defer cancel()
			if !all {
				d, err := a.client().RetryDeadLetter(ctx, args[0])
				if err != nil {
					return err
				}
				return a.show(d, func(w io.Writer) {
					fmt.Fprintf(w, "dead letter %s queued again (notification %s)\n", d.ID, d.NotificationID)
				})
			}
			n, err := a.client().RetryNotificationDeadLetters(ctx, retryNotification)
			if err != nil {
				return err
			}
			return a.report(map[string]any{"notification_id": retryNotification, "retried": n},
				"%d dead letters of notification %s queued again", n, retryNotification)
		},
	}
	retry.Flags().BoolVar(&all, "all", false, "retry every dead letter of --notification not yet retried")
	retry.Flags().StringVar(&retryNotification, "notification", "", "with --all: the notification")
	cmd.AddCommand(list, retry)
	return cmd
}

func filterListed[T any](l listed[T], keep func(T) bool) listed[T] {
	out := listed[T]{next: l.next}
	for i, it := range l.items {
		if keep(it) {
			out.items = append(out.items, it)
			out.raw = append(out.raw, l.raw[i])
		}
	}
	return out
}

func oneLine(s string, max int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return orDash(string(r))
}

func (a *app) statsCommand() *cobra.Command {
	var watch time.Duration
	cmd := &cobra.Command{
		Use:   "stats [--watch 2s]",
		Short: "Show the queues, the delivery rates and the app's notifications in progress (API key); --watch keeps it live",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for {
				ctx, cancel := a.call(cmd)
				st, err := a.client().Stats(ctx)
				cancel()
				if err != nil {
					return err
				}
				if watch > 0 && !a.asJSON && isTerminal(a.env.Stdout) {
					fmt.Fprint(a.env.Stdout, "\033[H\033[2J") // a live view: redraw in place
				}
				if err := a.show(st, func(w io.Writer) { writeStats(w, st) }); err != nil {
					return err
				}
				if watch <= 0 {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(watch):
				}
			}
		},
	}
	cmd.Flags().DurationVar(&watch, "watch", 0, "refresh every this long until interrupted (0: once)")
	return cmd
}

func writeStats(w io.Writer, st *heraldclient.Stats) {
	r := st.DeliveryRates
	fmt.Fprintf(w, "workers %d; last %ds: %.1f delivered/s, %.1f gone/s, %.1f retried/s, %.1f failed/s (at %s)\n\n",
		st.Workers, r.WindowSeconds, r.DeliveredPerSecond, r.GonePerSecond, r.RetryPerSecond, r.FailedPerSecond, when(st.GeneratedAt))
	rows := make([][]string, len(st.Queues))
	for i, q := range st.Queues {
		rows[i] = []string{q.Name, strconv.Itoa(q.Pending), strconv.Itoa(q.Active), strconv.Itoa(q.Scheduled), strconv.Itoa(q.Retry),
			strconv.Itoa(q.Processed), strconv.Itoa(q.Failed), strconv.FormatInt(q.LatencyMS, 10)}
	}
	table(w, []string{"QUEUE", "PENDING", "ACTIVE", "SCHEDULED", "RETRY", "PROCESSED", "FAILED", "LATENCY MS"}, rows)
	if len(st.InProgress) == 0 {
		fmt.Fprintln(w, "\nno notification in progress")
		return
	}
	fmt.Fprintln(w)
	rows = rows[:0]
	for _, p := range st.InProgress {
		c := p.Counts
		rows = append(rows, []string{p.ID, p.Status, i64(c.Targeted), i64(c.Delivered), i64(c.Gone), i64(c.Dead), i64(c.Pending)})
	}
	table(w, []string{"IN PROGRESS", "STATUS", "TARGETED", "DELIVERED", "GONE", "DEAD", "PENDING"}, rows)
}

func (a *app) segmentsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "segments", Short: "Preview segments (API key)"}
	cmd.AddCommand(&cobra.Command{
		Use: "preview EXPRESSION", Short: `Count the active subscriptions a segment like "news && !sports" reaches now`, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := a.call(cmd)
			defer cancel()
			p, err := a.client().PreviewSegment(ctx, args[0])
			if err != nil {
				return err
			}
			return a.show(p, func(w io.Writer) {
				at := ""
				if p.AtLeast {
					at = "at least "
				}
				fmt.Fprintf(w, "%s reaches %s%d active subscriptions\n", p.Segment, at, p.Audience)
			})
		},
	})
	return cmd
}
