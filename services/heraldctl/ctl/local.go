package ctl

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/heraldpush/herald/pkg/heraldclient"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/vapid"
)

// localFlags are send's flags for one notification straight to one
// subscription, without Herald (web-push send-notification's use).
type localFlags struct {
	subscription string
	vapidKeys    string
	vapidPrivate string
	subject      string
}

func (l *localFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.subscription, "to-subscription", "", "send straight to this PushSubscription.toJSON() file (- for standard input), not through Herald")
	f.StringVar(&l.vapidKeys, "vapid-keys", "", "with --to-subscription: the VAPID key pair file (vapid generate --json)")
	f.StringVar(&l.vapidPrivate, "vapid-private-key", "", "with --to-subscription: the VAPID private key, base64url (instead of --vapid-keys)")
	f.StringVar(&l.subject, "vapid-subject", "mailto:heraldctl@localhost", "with --to-subscription: the VAPID sub claim (mailto: or https:)")
}

// localSubscription is a subscription file: toJSON()'s shape, or the body
// of POST /v1/subscriptions around it.
type localSubscription struct {
	heraldclient.PushSubscription
	Subscription *heraldclient.PushSubscription `json:"subscription"`
}

// sendLocal encrypts, signs and posts one notification to one
// subscription, and says what the push service answered.
func (a *app) sendLocal(cmd *cobra.Command, s *sendFlags) error {
	l := s.local
	var sub localSubscription
	if err := readJSONFile(l.subscription, a.env.Stdin, &sub); err != nil {
		return err
	}
	target := sub.PushSubscription
	if sub.Subscription != nil {
		target = *sub.Subscription
	}
	if target.Endpoint == "" || target.Keys.P256dh == "" || target.Keys.Auth == "" {
		return usagef("send: %s has no endpoint and keys (p256dh, auth): it should hold what PushSubscription.toJSON() gives", l.subscription)
	}
	private := l.vapidPrivate
	if l.vapidKeys != "" {
		var p vapidPair
		if err := readJSONFile(l.vapidKeys, a.env.Stdin, &p); err != nil {
			return err
		}
		private = p.PrivateKey
	}
	if private == "" {
		return usagef("send: --to-subscription needs the VAPID key the subscription was made with: --vapid-keys FILE or --vapid-private-key K")
	}
	key, err := vapid.ParsePrivateKey(private)
	if err != nil {
		return usagef("send: VAPID private key: %v", err)
	}
	payload, err := a.localPayload(cmd, s)
	if err != nil {
		return err
	}
	// The user names this endpoint: allow its origin even when it is
	// loopback (a push simulator) or private.
	u, err := url.Parse(target.Endpoint)
	if err != nil || u.Host == "" {
		return usagef("send: endpoint %q is not a URL", target.Endpoint)
	}
	policy, err := pushendpoint.NewPolicy([]string{u.Scheme + "://" + u.Host})
	if err != nil {
		return usagef("send: endpoint %q: %v", target.Endpoint, err)
	}
	sender, err := pushsend.NewSender(pushsend.Config{Subject: l.subject, Endpoints: policy})
	if err != nil {
		return usagef("send: %v", err)
	}
	ttl := 86400
	if s.ttl >= 0 {
		ttl = s.ttl
	}
	ctx, cancel := a.call(cmd)
	defer cancel()
	res := sender.Send(ctx, pushsend.Message{Endpoint: target.Endpoint, P256dh: target.Keys.P256dh, Auth: target.Keys.Auth,
		Key: key, Payload: payload, TTL: ttl, Urgency: s.req.Urgency, Topic: s.req.Topic})
	out := map[string]any{"endpoint": target.Endpoint, "status": res.Status, "outcome": res.Outcome.String(), "body": res.Body}
	if res.Err != nil {
		out["error"] = res.Err.Error()
	}
	if err := a.report(out, "push service answered %d (%s) in %s", res.Status, res.Outcome, res.Duration.Round(1e6)); err != nil {
		return err
	}
	if res.Outcome != pushsend.Delivered {
		if res.Err != nil {
			return fmt.Errorf("not delivered: %w", res.Err)
		}
		return fmt.Errorf("not delivered: the push service answered %d: %s", res.Status, res.Body)
	}
	return nil
}

// localPayload is what the service worker receives: the notification's
// fields, from --file's "notification" (or the whole file) or the flags.
func (a *app) localPayload(cmd *cobra.Command, s *sendFlags) ([]byte, error) {
	if s.file == "" {
		if s.req.Notification.Title == "" {
			return nil, usagef("send: give --title (or --file) for the notification to send")
		}
		return json.Marshal(s.req.Notification)
	}
	body, err := readBody(s.file, a.env.Stdin)
	if err != nil {
		return nil, err
	}
	var wrapped struct {
		Notification json.RawMessage `json:"notification"`
	}
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Notification) > 0 {
		return wrapped.Notification, nil
	}
	return body, nil
}
