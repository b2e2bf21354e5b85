package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Reconciler keeps PostgreSQL the source of truth: whatever Redis loses
// (it was down when the API accepted, it restarted empty, it failed over
// to a replica that lagged) is made again from the database. Each pass
// reads a page of open notifications (an index holding only them, a
// rotating cursor: never the whole table) and, for those whose lease is
// gone (no job can still be queued for them, see Liveness):
//   - nothing fanned out yet (accepted, scheduled, queued): their fan-out
//     job is queued again, at send_at for a scheduled one;
//   - fanned out in part or whole, and nothing moved for Stall: repaired
//     (repair.go) from the fan-out cursor and the recorded deliveries.
//
// It also completes notifications whose last outcome writer died before
// its completion check. Any number may run: a repair is claimed through
// the lease, job keys dedupe, and the counts move by conditional updates.
type Reconciler struct {
	notifications *notification.Store
	subscriptions *subscription.Store
	db            *database.DB
	jobs          Jobs
	live          Liveness
	log           *slog.Logger
	cfg           ReconcilerConfig
	after         string // the rotating cursor over open notifications
}

// Liveness tells whether a notification may still have jobs queued
// (pkg/jobqueue keeps a lease per notification that every enqueue
// extends, lost with the jobs when Redis is).
type Liveness interface {
	Live(ctx context.Context, notificationIDs []string) (map[string]bool, error)
	// Claim takes the lease of a notification that holds none, for ttl.
	Claim(ctx context.Context, notificationID string, ttl time.Duration) (bool, error)
}

// ReconcilerConfig tunes a Reconciler; zero values take the defaults.
type ReconcilerConfig struct {
	Interval time.Duration // between passes (5s)
	// Grace is how old an accepted notification must be before its
	// fan-out is queued again: the API may be queuing it right now (5s).
	Grace time.Duration
	// Stall is how long a fanned-out notification without a lease must
	// show no progress (a fan-out page, an outcome counted) before it is
	// repaired: a batch still running on a worker records every 100
	// outcomes (1m).
	Stall time.Duration
	Page  int // open notifications read per pass (500)
}

func (c ReconcilerConfig) withDefaults() ReconcilerConfig {
	if c.Interval <= 0 {
		c.Interval = 5 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	if c.Stall <= 0 {
		c.Stall = time.Minute
	}
	if c.Page <= 0 {
		c.Page = 500
	}
	return c
}

// NewReconciler returns a Reconciler over db, queuing through jobs and
// reading leases through live.
func NewReconciler(db *database.DB, jobs Jobs, live Liveness, log *slog.Logger, cfg ReconcilerConfig) *Reconciler {
	return &Reconciler{notifications: notification.NewStore(db), subscriptions: subscription.NewStore(db), db: db,
		jobs: jobs, live: live, log: log, cfg: cfg.withDefaults()}
}

// Run passes every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		if n, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("reconciler", "err", err)
		} else if n > 0 {
			r.log.Info("reconciler queued lost work again", "notifications", n)
		}
		if n, err := r.notifications.CompleteStalled(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("reconciler", "err", err)
		} else if n > 0 {
			r.log.Info("reconciler completed notifications whose last writer stopped", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once makes one pass over a page of open notifications and returns how
// many it queued work for again.
func (r *Reconciler) Once(ctx context.Context) (int, error) {
	open, err := r.notifications.Open(ctx, r.after, r.cfg.Page)
	if err != nil {
		return 0, err
	}
	if len(open) < r.cfg.Page {
		r.after = "" // the next pass starts over
	} else {
		r.after = open[len(open)-1].ID
	}
	if len(open) == 0 {
		return 0, nil
	}
	ids := make([]string, len(open))
	for i := range open {
		ids[i] = open[i].ID
	}
	live, err := r.live.Live(ctx, ids)
	if err != nil {
		return 0, err
	}
	var orphans []notification.Notification
	for _, n := range open {
		if !live[n.ID] {
			orphans = append(orphans, n)
		}
	}
	progress, err := r.notifications.ProgressAt(ctx, orphans)
	if err != nil {
		return 0, err
	}
	now := time.Now().UTC()
	done := 0
	for i := range orphans {
		n := &orphans[i]
		switch {
		case n.FanoutSeq == 0 && !n.FanoutDone:
			if n.CreatedAt.After(now.Add(-r.cfg.Grace)) {
				continue
			}
			if err := r.requeueFanout(ctx, n); err != nil {
				return done, err
			}
		case progress[n.ID].After(now.Add(-r.cfg.Stall)):
			continue // a batch may still be running on a worker
		default:
			claimed, err := r.live.Claim(ctx, n.ID, max(r.cfg.Stall, time.Minute))
			if err != nil {
				return done, err
			}
			if !claimed {
				continue // another reconciler repairs it
			}
			if err := r.repair(ctx, n); err != nil {
				return done, err
			}
		}
		done++
	}
	return done, nil
}

// requeueFanout queues a fan-out that never started (again): its key is
// the notification's, so one still queued is not queued twice.
func (r *Reconciler) requeueFanout(ctx context.Context, n *notification.Notification) error {
	if err := r.jobs.EnqueueFanout(ctx, n); err != nil {
		return err
	}
	if n.EnqueuedAt == nil {
		return r.notifications.MarkEnqueued(ctx, n.ID, time.Now().UTC())
	}
	return nil
}
