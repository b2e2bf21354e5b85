package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/webhook"
)

// LeaseKey is the Redis key of the fleet's retention lease.
const LeaseKey = "herald:retention:lease"

// staleClaim is how long an expired job claim is kept: it tells nothing
// once it expired, the hour only keeps it out of the way of a clock skew.
const staleClaim = time.Hour

// defaultBatch is how many rows one DELETE removes at most.
const defaultBatch = 1000

// Lease takes key for ttl unless another process holds it
// (redisconn.TryLease over the fleet's Redis).
type Lease func(ctx context.Context, key string, ttl time.Duration) (bool, error)

// Config gathers an Enforcer's dependencies.
type Config struct {
	DB       *database.DB
	Settings Settings
	// Apps, when set, gives the apps' own retention settings (shorter
	// periods for their notifications and dead letters).
	Apps *app.Store
	// Lease makes one process of the fleet run each interval's pass; nil
	// runs every pass (a single process).
	Lease Lease
	Now   func() time.Time // nil: time.Now; tests move it
	Log   *slog.Logger
	Batch int // rows per DELETE; 0: 1000
}

// Enforcer runs retention passes.
type Enforcer struct {
	cfg           Config
	deliveries    *delivery.DeliveryRetention
	events        *engagement.Store
	deadLetters   *deadletter.Store
	notifications *notification.Store
	subscriptions *subscription.Store
	webhooks      *webhook.MessageRetention
	jobClaims     *runclaim.Store
}

// New returns an Enforcer.
func New(c Config) *Enforcer {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Batch <= 0 {
		c.Batch = defaultBatch
	}
	if c.Settings.Interval <= 0 {
		c.Settings.Interval = Defaults.Interval
	}
	return &Enforcer{
		cfg: c, deliveries: delivery.NewDeliveryRetention(c.DB, c.Log), events: engagement.NewStore(c.DB, nil),
		deadLetters: deadletter.NewStore(c.DB), notifications: notification.NewStore(c.DB), subscriptions: subscription.NewStore(c.DB),
		webhooks: webhook.NewMessageRetention(c.DB), jobClaims: runclaim.NewStore(c.DB),
	}
}

// Report is what one pass removed.
type Report struct {
	DeliveryPartitions int   // day partitions of deliveries dropped (PostgreSQL)
	Deliveries         int64 // delivery rows deleted
	Events             int64
	DeadLetters        int64
	GoneSubscriptions  int64
	Notifications      int64
	WebhookMessages    int64
	JobClaims          int64 // claims left by workers that died on jobs never run again
}

// Empty reports whether the pass removed nothing.
func (r Report) Empty() bool { return r == Report{} }

// Once runs one pass now, whatever the lease, and returns what it removed.
// A failing step does not stop the others; their errors are joined.
func (e *Enforcer) Once(ctx context.Context) (Report, error) {
	s, now, batch := e.cfg.Settings, e.cfg.Now().UTC(), e.cfg.Batch
	// Nothing a batch may still check goes before DedupWindow after its
	// notification settled.
	settledBefore := now.Add(-DedupWindow)
	var rep Report
	var errs []error
	if err := e.deliveries.Prepare(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if s.Deliveries > 0 {
		x, err := e.deliveries.Expire(ctx, now.Add(-s.Deliveries), settledBefore, batch)
		rep.DeliveryPartitions, rep.Deliveries = x.Partitions, x.Rows
		errs = append(errs, err)
	}
	if s.Events > 0 {
		n, err := e.events.ExpireBefore(ctx, now.Add(-s.Events), batch)
		rep.Events += n
		errs = append(errs, err)
	}
	if s.DeadLetters > 0 {
		n, err := e.deadLetters.ExpireBefore(ctx, "", now.Add(-s.DeadLetters), batch)
		rep.DeadLetters += n
		errs = append(errs, err)
	}
	if s.GoneSubscriptions > 0 {
		n, err := e.subscriptions.ExpireGone(ctx, now.Add(-s.GoneSubscriptions), batch)
		rep.GoneSubscriptions = n
		errs = append(errs, err)
	}
	if s.WebhookMessages > 0 {
		n, err := e.webhooks.ExpireBefore(ctx, now.Add(-s.WebhookMessages), batch)
		rep.WebhookMessages = n
		errs = append(errs, err)
	}
	n, err := e.jobClaims.ExpireBefore(ctx, now.Add(-staleClaim), batch)
	rep.JobClaims = n
	errs = append(errs, err)
	if s.Notifications > 0 {
		errs = append(errs, e.expireNotifications(ctx, "", now.Add(-s.Notifications), settledBefore, &rep))
	}
	errs = append(errs, e.expireApps(ctx, now, settledBefore, &rep))
	return rep, errors.Join(errs...)
}

// expireApps applies the apps' own periods where they are shorter than
// the fleet's.
func (e *Enforcer) expireApps(ctx context.Context, now, settledBefore time.Time, rep *Report) error {
	if e.cfg.Apps == nil {
		return nil
	}
	apps, err := e.cfg.Apps.Retentions(ctx)
	if err != nil {
		return err
	}
	shorter := func(own, fleet time.Duration) bool { return own > 0 && (fleet == 0 || own < fleet) }
	var errs []error
	for appID, r := range apps {
		notifications, deadLetters := r.Periods()
		if shorter(deadLetters, e.cfg.Settings.DeadLetters) {
			n, err := e.deadLetters.ExpireBefore(ctx, appID, now.Add(-deadLetters), e.cfg.Batch)
			rep.DeadLetters += n
			errs = append(errs, err)
		}
		if shorter(notifications, e.cfg.Settings.Notifications) {
			errs = append(errs, e.expireNotifications(ctx, appID, now.Add(-notifications), settledBefore, rep))
		}
	}
	return errors.Join(errs...)
}

// expireNotifications deletes settled notifications of appID ("": of
// every app) made before madeBefore, a page at a time: first their deliveries, events and dead
// letters through their owners in bounded batches, then the notifications
// (and their counts).
func (e *Enforcer) expireNotifications(ctx context.Context, appID string, madeBefore, settledBefore time.Time, rep *Report) error {
	batch := e.cfg.Batch
	for {
		ids, err := e.notifications.Settled(ctx, appID, madeBefore, settledBefore, "", 100)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			n, err := e.deliveries.PurgeNotification(ctx, id, batch)
			rep.Deliveries += n
			if err != nil {
				return err
			}
			if n, err = e.events.PurgeNotification(ctx, id, batch); err != nil {
				return err
			}
			rep.Events += n
			if n, err = e.deadLetters.PurgeNotification(ctx, id, batch); err != nil {
				return err
			}
			rep.DeadLetters += n
		}
		n, err := e.notifications.Delete(ctx, ids)
		rep.Notifications += n
		if err != nil || n == 0 {
			return err
		}
	}
}

// Run tries for the lease every interval until ctx ends, and runs a pass
// (bounded by the interval) when it gets it.
func (e *Enforcer) Run(ctx context.Context) {
	every := e.cfg.Settings.Interval
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		e.tick(ctx, every)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Enforcer) tick(ctx context.Context, every time.Duration) {
	if e.cfg.Lease != nil {
		ok, err := e.cfg.Lease(ctx, LeaseKey, every)
		if err != nil && ctx.Err() == nil {
			e.cfg.Log.Warn("retention: lease", "err", err)
		}
		if !ok {
			return
		}
	}
	pass, cancel := context.WithTimeout(ctx, every)
	defer cancel()
	start := time.Now()
	rep, err := e.Once(pass)
	if err != nil && ctx.Err() == nil {
		e.cfg.Log.Warn("retention pass", "err", err)
	}
	if !rep.Empty() {
		e.cfg.Log.Info("retention pass removed expired data", "took", time.Since(start).Round(time.Millisecond),
			"delivery_partitions", rep.DeliveryPartitions, "deliveries", rep.Deliveries, "events", rep.Events,
			"dead_letters", rep.DeadLetters, "gone_subscriptions", rep.GoneSubscriptions, "notifications", rep.Notifications,
			"webhook_messages", rep.WebhookMessages, "job_claims", rep.JobClaims)
	}
}
