package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
)

// Reconciler enqueues notifications that were stored but never reached
// Redis (it was down, or the API died between the two), so an accepted
// notification is never left in limbo, and completes those whose last
// outcome writer died before its completion check. Several may run: task
// ids dedupe, and completion is one conditional update.
type Reconciler struct {
	notifications *notification.Store
	jobs          Jobs
	log           *slog.Logger
	interval      time.Duration
	grace         time.Duration
}

// NewReconciler returns a Reconciler that looks every interval for
// notifications accepted more than grace ago and not enqueued (0: 5s each).
func NewReconciler(db *database.DB, jobs Jobs, log *slog.Logger, interval, grace time.Duration) *Reconciler {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if grace <= 0 {
		grace = 5 * time.Second
	}
	return &Reconciler{notifications: notification.NewStore(db), jobs: jobs, log: log, interval: interval, grace: grace}
}

// Run looks every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if n, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("reconciler", "err", err)
		} else if n > 0 {
			r.log.Info("reconciler enqueued stranded notifications", "count", n)
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

// Once enqueues up to 100 stranded notifications and returns how many.
func (r *Reconciler) Once(ctx context.Context) (int, error) {
	stranded, err := r.notifications.Stranded(ctx, time.Now().UTC().Add(-r.grace), 100)
	if err != nil {
		return 0, err
	}
	for i := range stranded {
		n := &stranded[i]
		if err := r.jobs.EnqueueFanout(ctx, n); err != nil {
			return i, err
		}
		if err := r.notifications.MarkEnqueued(ctx, n.ID, time.Now().UTC()); err != nil {
			return i, err
		}
	}
	return len(stranded), nil
}
