package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/vapid"
)

// Observer is told about every send, for metrics. It must be cheap and
// safe for concurrent use.
type Observer interface {
	Sent(r pushsend.Result)
}

type noObserver struct{}

func (noObserver) Sent(pushsend.Result) {}

// Deliverer handles delivery batches.
type Deliverer struct {
	observer      Observer
	db            *database.DB
	notifications *notification.Store
	subscriptions *subscription.Store
	deadLetters   *deadletter.Store
	jobs          Jobs
	apps          *app.Store
	sends         Sends
	retry         RetryPolicy
	limits        Limits           // nil: no caps or throttles
	tokens        EventTokens      // nil: payloads sent as stored
	now           func() time.Time // the gates' clock

	cachedNotifications *ttlCache[*notification.Notification]
	renderers           *ttlCache[*notification.Renderer] // personalised notifications' templates, per variant
	// compile builds a renderer on a cache miss (notification.NewRenderer);
	// tests count its calls to see the templates compiled once.
	compile     func(n *notification.Notification, payload, declarative string) (*notification.Renderer, error)
	keys        *ttlCache[*vapid.KeyPair]
	appSettings *ttlCache[app.Settings]
}

// DelivererConfig gathers a Deliverer's dependencies.
type DelivererConfig struct {
	DB       *database.DB
	Jobs     Jobs
	Apps     *app.Store
	Sends    Sends // the worker's send scheduler
	Retry    RetryPolicy
	Observer Observer // optional
	Limits   Limits   // frequency caps and throttles; nil: none
	// EventTokens stamps each message with its recipient's event token;
	// nil sends payloads as stored.
	EventTokens EventTokens
	// SubscriptionTaps are told of the subscriptions pruned (gone), in
	// the transaction of the outcomes (webhooks).
	SubscriptionTaps []subscription.Tap
	// Now is the clock of quiet hours and waits (nil: time.Now); tests
	// set it to put a batch at a chosen local time.
	Now func() time.Time
}

// NewDeliverer builds a Deliverer.
func NewDeliverer(c DelivererConfig) *Deliverer {
	observer := c.Observer
	if observer == nil {
		observer = noObserver{}
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return &Deliverer{
		observer: observer, db: c.DB, notifications: notification.NewStore(c.DB),
		subscriptions: subscription.NewStore(c.DB, c.SubscriptionTaps...), deadLetters: deadletter.NewStore(c.DB),
		jobs: c.Jobs, apps: c.Apps, sends: c.Sends, retry: c.Retry, limits: c.Limits, tokens: c.EventTokens, now: now,
		cachedNotifications: newTTLCache[*notification.Notification](time.Second),
		renderers:           newTTLCache[*notification.Renderer](rendererTTL),
		compile:             notification.NewRenderer,
		keys:                newTTLCache[*vapid.KeyPair](time.Hour),
		appSettings:         newTTLCache[app.Settings](2 * time.Second),
	}
}

type target struct {
	sub     *subscription.Subscription
	key     *vapid.KeyPair
	payload []byte // rendered for this recipient; nil: the notification's
}

type sent struct {
	sub    *subscription.Subscription
	result pushsend.Result
}

// DeliverBatch sends b's notification to b's subscriptions at priority p
// and records every final outcome. Subscriptions already recorded for the
// notification are skipped, so a batch run again (retried, recovered after
// a crash) never sends twice what it recorded. An error means run it again
// later, except ErrNotificationGone.
func (d *Deliverer) DeliverBatch(ctx context.Context, b Batch, p notification.Priority) error {
	n, subs, recorded, err := d.load(ctx, b)
	if err != nil {
		return err
	}
	if n.Status == notification.Cancelled {
		return nil
	}
	targets, finals, err := d.prepare(ctx, n, b.SubscriptionIDs, subs, recorded)
	if err != nil {
		return err
	}
	attempt := max(b.Attempt, 1)
	targets, later, err := d.gate(ctx, n, targets, &finals)
	if err != nil {
		return err
	}
	// What waits is queued before anything is sent: if queuing fails, the
	// batch fails whole and runs again.
	if err := d.scheduleLater(ctx, n, b, attempt, later); err != nil {
		return err
	}
	if targets, err = d.payloads(ctx, n, targets, attempt, &finals); err != nil {
		return err
	}
	stamp, err := newStamper(ctx, d.tokens, n.ID)
	if err != nil {
		return err
	}
	subject, err := d.subject(ctx, n.AppID, targets)
	if err != nil {
		return err
	}
	// Outcomes are written as they come (recorder.go); each send holds its
	// slot until its outcome is written. A write that fails stops the
	// batch's sends; the batch runs again, skipping what was recorded.
	sendCtx, stopSends := context.WithCancel(ctx)
	defer stopSends()
	rec := newRecorder(d.outcomeWriter(ctx, n, b.Seq, stopSends))
	rec.add(finals...) // gone and capped: nothing to send
	var mu sync.Mutex
	retries := map[time.Duration][]string{}
	paced := map[time.Duration][]string{}
	d.sendAll(sendCtx, n, targets, stamp, subject, p == notification.Urgent, func(s sent) {
		if s.result.Paced {
			// Held, not sent: its push service asked the fleet to wait.
			// It waits like a gated message, with no attempt spent (when
			// cut off, the re-run holds or sends it).
			if sendCtx.Err() != nil {
				return
			}
			wait := ceilSecond(s.result.RetryAfter)
			mu.Lock()
			paced[wait] = append(paced[wait], s.sub.ID)
			mu.Unlock()
			d.gatedService(ReasonPaced, s.result.Service, 1)
			return
		}
		d.observer.Sent(s.result)
		if sendCtx.Err() != nil && s.result.Outcome == pushsend.Retry {
			return // cut off by shutdown or a failed write: the re-run sends it again
		}
		o, retryIn, final := d.judge(s, attempt)
		if !final {
			mu.Lock()
			retries[retryIn] = append(retries[retryIn], s.sub.ID)
			mu.Unlock()
			return
		}
		w := rec.add(o)
		<-w.done // the slot is released once the outcome is recorded
		if w.err != nil {
			stopSends()
		}
	})
	if err := rec.close(); err != nil {
		return err
	}
	if err := d.scheduleRetries(context.WithoutCancel(ctx), n, b, attempt, retries); err != nil {
		return err
	}
	if err := d.scheduleLater(context.WithoutCancel(ctx), n, b, attempt, paced); err != nil {
		return err
	}
	if len(retries) == 0 && len(paced) == 0 {
		if _, err := d.notifications.CompleteIfDone(context.WithoutCancel(ctx), n.ID); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: the batch runs again, skipping what is recorded
	}
	if sendCtx.Err() != nil {
		return ErrStorageCut
	}
	return nil
}

// load reads the batch's notification, its subscriptions and which of them
// already have an outcome, all at once: a notification not cached yet
// (every urgent one) is read at the same time as the rest, so an urgent
// message waits for one round trip here, not two.
func (d *Deliverer) load(ctx context.Context, b Batch) (*notification.Notification, []subscription.Subscription, map[string]bool, error) {
	now := time.Now()
	n, cached := d.cachedNotifications.get(b.NotificationID, now)
	var subs []subscription.Subscription
	var recorded map[string]bool
	g, gctx := errgroup.WithContext(ctx)
	if !cached {
		g.Go(func() (err error) {
			n, err = d.notifications.Load(gctx, b.NotificationID)
			if errors.Is(err, notification.ErrNotFound) {
				return fmt.Errorf("notification %s: %w", b.NotificationID, ErrNotificationGone)
			}
			return err
		})
	}
	g.Go(func() (err error) {
		subs, err = d.subscriptions.Load(gctx, b.SubscriptionIDs)
		return err
	})
	g.Go(func() (err error) {
		recorded, err = d.recorded(gctx, b.NotificationID, b.SubscriptionIDs)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, nil, nil, err
	}
	if !cached {
		d.cachedNotifications.put(b.NotificationID, n, now)
	}
	return n, subs, recorded, nil
}

// prepare drops the batch's subscriptions already recorded for this
// notification (a retried or recovered batch never re-sends), and turns
// subscriptions that disappeared or stopped being active into final "gone".
func (d *Deliverer) prepare(ctx context.Context, n *notification.Notification, ids []string, subs []subscription.Subscription, recorded map[string]bool) ([]target, []outcome, error) {
	found := make(map[string]*subscription.Subscription, len(subs))
	for i := range subs {
		found[subs[i].ID] = &subs[i]
	}
	var targets []target
	var finals []outcome
	now := time.Now()
	for _, id := range ids {
		s := found[id]
		switch {
		case recorded[id]:
		case s == nil || s.Status != subscription.Active || s.AppID != n.AppID:
			finals = append(finals, outcome{SubscriptionID: id, Status: StatusGone})
		case s.Expired(now):
			// Past the expirationTime its browser gave: not sent, and the
			// subscription becomes expired (the page renews it before then).
			finals = append(finals, outcome{SubscriptionID: id, Status: StatusGone, expired: true})
		default:
			key, err := d.key(ctx, s.VAPIDKeyID)
			if err != nil {
				return nil, nil, err
			}
			targets = append(targets, target{sub: s, key: key})
		}
	}
	return targets, finals, nil
}

// sendAll sends to every target through the send scheduler, calling done
// for each (concurrently, in the send's slot), and returns when all are
// done. Once ctx ends it starts no more sends.
func (d *Deliverer) sendAll(ctx context.Context, n *notification.Notification, targets []target, stamp *stamper, subject string, urgent bool, done func(sent)) {
	// Format auto gives Apple's subscriptions a payload of their own; only
	// then is each endpoint's service looked up.
	payload, declarative := stamp.find([]byte(n.Payload)), stamp.find([]byte(n.PayloadFor(pushendpoint.Apple)))
	perService := n.PayloadDeclarative != ""
	msgs := make([]pushsend.Message, len(targets))
	for i, tg := range targets {
		body := payload
		switch {
		case tg.payload != nil: // rendered for this recipient (personalize.go)
			body = stamp.find(tg.payload)
		case perService && pushendpoint.ServiceOf(tg.sub.Endpoint) == pushendpoint.Apple:
			body = declarative
		}
		msgs[i] = pushsend.Message{
			Endpoint: tg.sub.Endpoint, P256dh: tg.sub.P256dh, Auth: tg.sub.Auth, Key: tg.key, Subject: subject,
			Payload: stamp.body(body, tg.sub.ID), TTL: n.TTL, Urgency: n.Urgency, Topic: n.Topic,
		}
	}
	d.sends.Push(ctx, urgent, msgs, func(i int, r pushsend.Result) {
		done(sent{sub: targets[i].sub, result: r})
	})
}

// subject is the VAPID subject of the app's pushes: its vapid_subject, or
// "" for the fleet's (the settings are cached; gate read them already).
func (d *Deliverer) subject(ctx context.Context, appID string, targets []target) (string, error) {
	if len(targets) == 0 {
		return "", nil
	}
	settings, err := d.settings(ctx, appID)
	if err != nil || settings.VAPIDSubject == nil {
		return "", err
	}
	return string(*settings.VAPIDSubject), nil
}

// judge turns a send result into a final outcome, or a retry delay.
func (d *Deliverer) judge(s sent, attempt int) (o outcome, retryIn time.Duration, final bool) {
	r := s.result
	o = outcome{SubscriptionID: s.sub.ID, Attempts: attempt, LastStatus: r.Status}
	switch r.Outcome {
	case pushsend.Delivered:
		o.Status = StatusDelivered
		sub := s.sub
		o.fresh = sub.ConsecutiveFailures == 0 && sub.LastSuccessAt != nil && time.Since(*sub.LastSuccessAt) < successRefresh
		o.unconfirmed = sub.LastReceivedAt != nil
	case pushsend.Gone:
		o.Status = StatusGone
	case pushsend.Retry:
		if attempt < d.retry.MaxAttempts {
			return o, ceilSecond(d.retry.Delay(attempt, r.RetryAfter)), false
		}
		o.Status, o.Error = StatusDead, describe(r)
	default:
		o.Status, o.Error = StatusDead, describe(r)
	}
	return o, 0, true
}

func describe(r pushsend.Result) string {
	parts := []string{}
	if r.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", r.Status))
	}
	if r.Err != nil {
		parts = append(parts, r.Err.Error())
	}
	if r.Body != "" {
		parts = append(parts, "body: "+r.Body)
	}
	return strings.Join(parts, "; ")
}

// scheduleRetries queues one batch per distinct delay with the
// subscriptions to try again. Its key is derived from its content, so a
// re-run batch does not queue the same retry twice.
func (d *Deliverer) scheduleRetries(ctx context.Context, n *notification.Notification, b Batch, attempt int, retries map[time.Duration][]string) error {
	for delay, ids := range retries {
		sort.Strings(ids)
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		key := fmt.Sprintf("retry:%s:%d:%s", n.ID, attempt+1, hex.EncodeToString(sum[:8]))
		next := Batch{NotificationID: n.ID, AppID: n.AppID, SubscriptionIDs: ids, Seq: b.Seq, Attempt: attempt + 1}
		if err := d.jobs.EnqueueBatch(ctx, n.Priority, key, next, delay); err != nil {
			return fmt.Errorf("schedule retry: %w", err)
		}
	}
	return nil
}

func (d *Deliverer) key(ctx context.Context, id string) (*vapid.KeyPair, error) {
	now := time.Now()
	if k, ok := d.keys.get(id, now); ok {
		return k, nil
	}
	k, err := d.apps.VAPIDKeyPair(ctx, id)
	if err != nil {
		return nil, err
	}
	d.keys.put(id, k, now)
	return k, nil
}

// ceilSecond rounds up to whole seconds: retries are grouped per second, and
// rounding down could retry before a Retry-After.
func ceilSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}
