package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/queue"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/vapid"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// Sender sends one push; *pushsend.Sender implements it.
type Sender interface {
	Send(ctx context.Context, m pushsend.Message) pushsend.Result
}

// flushEvery bounds how many final outcomes wait in memory before being
// written: after a crash only these can be sent twice.
const flushEvery = 100

// Observer is told about every send and every finished batch, for metrics.
// It must be cheap and safe for concurrent use.
type Observer interface {
	Sent(queue string, r pushsend.Result)
	BatchDone(queue string, err error)
}

type noObserver struct{}

func (noObserver) Sent(string, pushsend.Result) {}
func (noObserver) BatchDone(string, error)      {}

// Deliverer handles delivery batches.
type Deliverer struct {
	observer Observer
	db       *database.DB
	jobs     *jobs.Client
	apps     *app.Store
	sender   Sender
	retry    RetryPolicy
	log      *slog.Logger
	slots    *inflight.Limiter // deliveries in flight across all batches of this Deliverer

	notifications *ttlCache[*notification.Notification]
	keys          *ttlCache[*vapid.KeyPair]
}

// DelivererConfig gathers a Deliverer's dependencies.
type DelivererConfig struct {
	DB     *database.DB
	Jobs   *jobs.Client
	Apps   *app.Store
	Sender Sender
	Retry  RetryPolicy
	Log    *slog.Logger
	// Limiter bounds deliveries in flight across all batches; its bound may
	// adapt (see workerserver).
	Limiter  *inflight.Limiter
	Observer Observer // optional
}

// NewDeliverer builds a Deliverer.
func NewDeliverer(c DelivererConfig) *Deliverer {
	observer := c.Observer
	if observer == nil {
		observer = noObserver{}
	}
	return &Deliverer{
		observer: observer,
		db:       c.DB, jobs: c.Jobs, apps: c.Apps, sender: c.Sender, retry: c.Retry, log: c.Log,
		slots:         c.Limiter,
		notifications: newTTLCache[*notification.Notification](time.Second),
		keys:          newTTLCache[*vapid.KeyPair](time.Hour),
	}
}

type target struct {
	sub *subscription.Subscription
	key *vapid.KeyPair
}

type sent struct {
	sub    *subscription.Subscription
	result pushsend.Result
}

// HandleBatch is the asynq handler for jobs.TypeDeliver.
func (d *Deliverer) HandleBatch(ctx context.Context, t *asynq.Task) error {
	queueName, _ := asynq.GetQueueName(ctx)
	err := d.handleBatch(ctx, t, queueName)
	d.observer.BatchDone(queueName, err)
	return err
}

func (d *Deliverer) handleBatch(ctx context.Context, t *asynq.Task, queueName string) error {
	b, err := jobs.DecodeBatch(t)
	if err != nil {
		return err
	}
	n, rows, err := d.load(ctx, b)
	if err != nil {
		return err
	}
	if n.Status == notification.Cancelled {
		return nil
	}
	targets, finals, err := d.prepare(ctx, n, b.SubscriptionIds, rows)
	if err != nil {
		return err
	}
	// Sends go on while a writer records full flushes. Both channels are
	// unbuffered on purpose: at most two flushes per batch (one being written,
	// one waiting) are sent but unrecorded at a crash. A failed write stops
	// the batch's sends; asynq re-runs it, skipping what was recorded.
	sendCtx, stopSends := context.WithCancel(ctx)
	defer stopSends()
	results := make(chan sent)
	go d.sendAll(sendCtx, n, targets, results, queueName == queue.Critical)
	shard := int(b.BatchSeq)
	flushes := make(chan []outcome)
	flushed := make(chan error, 1)
	go func() {
		var err error
		for f := range flushes {
			if err == nil {
				if err = recordOutcomes(ctx, d.db, n.AppID, n.ID, shard, f); err != nil {
					stopSends()
				}
			}
		}
		flushed <- err
	}()

	attempt := int(max(b.Attempt, 1))
	retries := map[time.Duration][]string{}
	for s := range results {
		d.observer.Sent(queueName, s.result)
		if sendCtx.Err() != nil && s.result.Outcome == pushsend.Retry {
			continue // cut off by shutdown or a failed write: the re-run sends it again
		}
		o, retryIn, final := d.judge(s, attempt)
		if !final {
			retries[retryIn] = append(retries[retryIn], s.sub.ID)
			continue
		}
		finals = append(finals, o)
		if len(finals) >= flushEvery {
			flushes <- finals
			finals = make([]outcome, 0, flushEvery)
		}
	}
	close(flushes)
	if err := <-flushed; err != nil {
		return err
	}
	// Record with a context that survives shutdown: these messages went out.
	if err := recordOutcomes(context.WithoutCancel(ctx), d.db, n.AppID, n.ID, shard, finals); err != nil {
		return err
	}
	if err := d.scheduleRetries(context.WithoutCancel(ctx), n, b, attempt, retries); err != nil {
		return err
	}
	if len(retries) == 0 {
		if _, err := notification.CompleteIfDone(context.WithoutCancel(ctx), d.db, n.ID); err != nil {
			return err
		}
	}
	return ctx.Err() // interrupted: asynq re-runs the batch, skipping what is recorded
}

// batchRow is one of a batch's subscriptions, and whether its outcome for
// the notification is already recorded.
type batchRow struct {
	subscription.Subscription
	Recorded bool `gorm:"column:recorded"`
}

// load reads the batch's notification and its subscriptions. One query
// does both lookups of the subscriptions (rows and recorded outcomes); a
// notification not cached yet (every urgent one) is read at the same time,
// so an urgent message waits for one round trip here, not two.
func (d *Deliverer) load(ctx context.Context, b *heraldv1.DeliveryBatch) (*notification.Notification, []batchRow, error) {
	now := time.Now()
	n, cached := d.notifications.get(b.NotificationId, now)
	var rows []batchRow
	g, gctx := errgroup.WithContext(ctx)
	if !cached {
		g.Go(func() (err error) {
			n, err = loadNotification(gctx, d.db, b.NotificationId)
			return err
		})
	}
	g.Go(func() error {
		err := d.db.WithContext(gctx).Table("subscriptions s").
			Select("s.*, d.subscription_id IS NOT NULL AS recorded").
			Joins("LEFT JOIN deliveries d ON d.notification_id = ? AND d.subscription_id = s.id", b.NotificationId).
			Where("s.id IN ?", b.SubscriptionIds).Scan(&rows).Error
		if err != nil {
			return fmt.Errorf("load subscriptions: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if !cached {
		d.notifications.put(b.NotificationId, n, now)
	}
	return n, rows, nil
}

// prepare drops the batch's subscriptions already recorded for this
// notification (a retried or recovered batch never re-sends), and turns
// subscriptions that disappeared or stopped being active into final "gone".
func (d *Deliverer) prepare(ctx context.Context, n *notification.Notification, ids []string, rows []batchRow) ([]target, []outcome, error) {
	subs := make([]*subscription.Subscription, 0, len(rows))
	skip := make(map[string]bool)
	for i := range rows {
		if rows[i].Recorded {
			skip[rows[i].ID] = true
		}
		subs = append(subs, &rows[i].Subscription)
	}
	found := make(map[string]*subscription.Subscription, len(subs))
	for _, s := range subs {
		found[s.ID] = s
	}
	var targets []target
	var finals []outcome
	for _, id := range ids {
		s := found[id]
		switch {
		case skip[id]:
		case s == nil || s.Status != subscription.Active || s.AppID != n.AppID:
			finals = append(finals, outcome{SubscriptionID: id, Status: StatusGone})
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

// sendAll sends to every target with at most d.slots in flight, and
// closes results when all are done. On shutdown it stops starting sends.
func (d *Deliverer) sendAll(ctx context.Context, n *notification.Notification, targets []target, results chan<- sent, urgent bool) {
	payload := []byte(n.Payload)
	done := make(chan struct{}, len(targets))
	started := 0
	for _, tg := range targets {
		if d.slots.Acquire(ctx) != nil {
			break
		}
		started++
		go func() {
			defer func() { d.slots.Release(); done <- struct{}{} }()
			r := d.sender.Send(ctx, pushsend.Message{
				Endpoint: tg.sub.Endpoint, P256dh: tg.sub.P256dh, Auth: tg.sub.Auth, Key: tg.key,
				Payload: payload, TTL: n.TTL, Urgency: n.Urgency, Topic: n.Topic, Urgent: urgent,
			})
			results <- sent{sub: tg.sub, result: r}
		}()
	}
	for range started {
		<-done
	}
	close(results)
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

// scheduleRetries queues one job per distinct delay with the subscriptions
// to try again. The task id is derived from its content, so a re-run batch
// does not queue the same retry twice.
func (d *Deliverer) scheduleRetries(ctx context.Context, n *notification.Notification, b *heraldv1.DeliveryBatch, attempt int, retries map[time.Duration][]string) error {
	for delay, ids := range retries {
		sort.Strings(ids)
		sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
		taskID := fmt.Sprintf("retry:%s:%d:%s", n.ID, attempt+1, hex.EncodeToString(sum[:8]))
		next := &heraldv1.DeliveryBatch{NotificationId: n.ID, AppId: n.AppID, SubscriptionIds: ids, BatchSeq: b.BatchSeq, Attempt: uint32(attempt + 1)}
		if err := d.jobs.EnqueueBatch(ctx, n.Queue, taskID, next, delay); err != nil {
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
