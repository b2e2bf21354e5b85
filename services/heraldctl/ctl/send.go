package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
)

// sendFlags are the flags of send.
type sendFlags struct {
	file           string
	idempotencyKey string
	wait           bool
	waitTimeout    time.Duration
	interval       time.Duration
	req            heraldclient.SendRequest
	data           string
	ttl            int
	sendAt         string
	local          localFlags
}

func (a *app) sendCommand() *cobra.Command {
	var s sendFlags
	cmd := &cobra.Command{
		Use:   "send [--file F | flags] [--wait]",
		Short: "Send a notification: the body of POST /v1/notifications from --file or standard input, or from flags",
		Long: `Sends a notification through Herald (API key). The body is the one POST
/v1/notifications takes, read from --file F (- for standard input), from standard
input when no flag describes the notification, or built from the flags: --title and
a target (--all, --user, --topic, --subscription-id or --segment).

--wait follows it until it completes: a live progress bar of delivered, gone and
dead on a terminal (one line per change otherwise), then the counts; it exits 0
once completed, 6 when cancelled or --wait-timeout passes first.

--to-subscription sends one notification straight to one push subscription (a
PushSubscription.toJSON() file), signed with a VAPID key of yours, without Herald:
web-push send-notification's use, for local testing.`,
		Example: `  heraldctl send --title Hello --body "First notification" --all --wait
  heraldctl send --file notification.json --wait
  echo '{"target":{"topics":["news"]},"notification":{"title":"Breaking"}}' | heraldctl send
  heraldctl send --to-subscription sub.json --vapid-keys vapid.json --title Test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.local.subscription != "" {
				return a.sendLocal(cmd, &s)
			}
			body, err := a.sendBody(cmd, &s)
			if err != nil {
				return err
			}
			ctx, cancel := a.call(cmd)
			sent, err := a.client().SendJSON(ctx, body, s.idempotencyKey)
			cancel()
			if err != nil {
				return err
			}
			for _, w := range sent.Warnings {
				// On standard error: sent, but some browsers will not show it.
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s (%s)\n", w.Message, w.Code)
			}
			if !s.wait {
				return a.show(sent, func(w io.Writer) {
					note := ""
					if sent.Replayed {
						note = " (replayed: this Idempotency-Key was used before)"
					}
					fmt.Fprintf(w, "notification %s %s%s\n", sent.ID, sent.Status, note)
				})
			}
			return a.waitFor(cmd.Context(), sent.ID, s.waitTimeout, s.interval)
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.file, "file", "", "read the POST /v1/notifications body from this file (- for standard input)")
	f.StringVar(&s.idempotencyKey, "idempotency-key", "", "Idempotency-Key to send (default: a new one; the client's retries repeat it)")
	f.BoolVar(&s.wait, "wait", false, "show progress until the notification completes, then its counts")
	f.DurationVar(&s.waitTimeout, "wait-timeout", 0, "with --wait, give up after this long (exit 6; 0: wait as long as it takes)")
	f.DurationVar(&s.interval, "interval", 500*time.Millisecond, "with --wait, how often to ask for progress")
	r := &s.req
	f.StringVar(&r.Notification.Title, "title", "", "notification title")
	f.StringVar(&r.Notification.Body, "body", "", "notification body")
	f.StringVar(&r.Notification.URL, "url", "", "page opened on click")
	f.StringVar(&r.Notification.Icon, "icon", "", "icon URL")
	f.StringVar(&r.Notification.Image, "image", "", "image URL")
	f.StringVar(&r.Notification.Tag, "tag", "", "tag (a newer notification with the same tag replaces the older)")
	f.StringVar(&s.data, "data", "", "data for the service worker, a JSON value")
	f.BoolVar(&r.Target.All, "all", false, "send to every active subscription of the app")
	f.StringArrayVar(&r.Target.UserIDs, "user", nil, "send to this user's subscriptions (repeatable)")
	f.StringArrayVar(&r.Target.Topics, "topic", nil, "send to subscribers of this topic (repeatable)")
	f.StringArrayVar(&r.Target.SubscriptionIDs, "subscription-id", nil, "send to this subscription (repeatable)")
	f.StringVar(&r.Target.Segment, "segment", "", `send to a segment of topics, like "news && !sports"`)
	f.IntVar(&s.ttl, "ttl", -1, "seconds the push service keeps it for an offline browser (default: the app's)")
	f.StringVar(&r.Urgency, "urgency", "", "very-low, low, normal or high")
	f.StringVar(&r.Topic, "push-topic", "", "push service Topic: a newer message with the same one replaces an undelivered older")
	f.StringVar(&s.sendAt, "send-at", "", "send later, at this RFC 3339 time (like 2026-12-24T18:00:00Z)")
	f.StringVar(&r.CancelKey, "cancel-key", "", "key that notifications cancel --key cancels together")
	s.local.register(cmd)
	return cmd
}

// contentFlags name the flags that describe the notification itself.
var contentFlags = []string{"title", "body", "url", "icon", "image", "tag", "data", "all", "user", "topic", "subscription-id",
	"segment", "ttl", "urgency", "push-topic", "send-at", "cancel-key"}

func anyChanged(cmd *cobra.Command, names []string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// sendBody is the request body: --file, flags, or standard input.
func (a *app) sendBody(cmd *cobra.Command, s *sendFlags) ([]byte, error) {
	flagged := anyChanged(cmd, contentFlags)
	switch {
	case s.file != "" && flagged:
		return nil, usagef("send: --file gives the whole body; leave out the notification flags (or drop --file)")
	case s.file != "":
		return readBody(s.file, a.env.Stdin)
	case !flagged:
		if isTerminal(a.env.Stdin) {
			return nil, usagef("send: give the body with --file F or on standard input, or build it with --title and a target (--all, --user, ...)")
		}
		return readBody("-", a.env.Stdin)
	}
	r := s.req
	if r.Notification.Title == "" {
		return nil, usagef("send: --title is required when the notification is built from flags")
	}
	t := r.Target
	if !t.All && len(t.UserIDs) == 0 && len(t.Topics) == 0 && len(t.SubscriptionIDs) == 0 && t.Segment == "" {
		return nil, usagef("send: say who gets it: --all, --user ID, --topic T, --subscription-id ID or --segment EXPR")
	}
	if s.data != "" {
		if !json.Valid([]byte(s.data)) {
			return nil, usagef("send: --data must be a JSON value, like '{\"order\": 42}'")
		}
		r.Notification.Data = json.RawMessage(s.data)
	}
	if s.ttl >= 0 {
		r.TTL = &s.ttl
	}
	if s.sendAt != "" {
		at, err := time.Parse(time.RFC3339, s.sendAt)
		if err != nil {
			return nil, usagef("send: --send-at %q is not RFC 3339, like 2026-12-24T18:00:00Z", s.sendAt)
		}
		r.SendAt = &at
	}
	return json.Marshal(r)
}

func readBody(name string, stdin io.Reader) ([]byte, error) {
	body, err := readInput(name, stdin)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, usagef("send: %s is not JSON: the body of POST /v1/notifications is a JSON object", name)
	}
	return body, nil
}

// waitFor follows a notification until it completes and prints its counts.
func (a *app) waitFor(ctx context.Context, id string, timeout, interval time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	view := newProgressView(a.env.Stderr, id)
	n, err := a.client().WaitCompleted(ctx, id, interval, view.update)
	view.finish()
	if errors.Is(err, context.DeadlineExceeded) && n != nil {
		a.printCounts(n)
		return fmt.Errorf("%w: still %s after --wait-timeout %s (%d pending)", errNotCompleted, n.Status, timeout, n.Counts.Pending)
	}
	if err != nil {
		return err
	}
	a.printCounts(n)
	if n.Status != heraldclient.StatusCompleted {
		return fmt.Errorf("%w: it was %s", errNotCompleted, n.Status)
	}
	return nil
}

func (a *app) printCounts(n *heraldclient.Notification) {
	if a.asJSON {
		_ = a.printJSON(n.JSON())
		return
	}
	c := n.Counts
	fmt.Fprintf(a.env.Stdout, "notification %s %s: targeted %d, delivered %d, gone %d, dead %d, capped %d, pending %d\n",
		n.ID, n.Status, c.Targeted, c.Delivered, c.Gone, c.Dead, c.Capped, c.Pending)
	for _, w := range n.Warnings {
		fmt.Fprintf(a.env.Stdout, "warning: %s\n", w)
	}
}
