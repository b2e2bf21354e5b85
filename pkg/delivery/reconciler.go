package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
)

// Reconciler enqueues notifications that were stored but never reached
// Redis (it was down, or the API died between the two), so an accepted
// notification is never left in limbo, and completes those whose last
// outcome writer died before its completion check. Several may run: task
// ids dedupe, and completion is one conditional update.
type Reconciler struct {
	DB       *database.DB
	Jobs     *jobs.Client
	Log      *slog.Logger
	Interval time.Duration // how often to look; default 5s
	Grace    time.Duration // leave the API this long to enqueue itself; default 5s
}

// Run looks every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("reconciler", "err", err)
		} else if n > 0 {
			r.Log.Info("reconciler enqueued stranded notifications", "count", n)
		}
		if n, err := notification.CompleteStalled(ctx, r.DB); err != nil && ctx.Err() == nil {
			r.Log.Warn("reconciler", "err", err)
		} else if n > 0 {
			r.Log.Info("reconciler completed notifications whose last writer stopped", "count", n)
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
	grace := r.Grace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	var stranded []notification.Notification
	err := r.DB.WithContext(ctx).Where("enqueued_at IS NULL AND status IN ? AND created_at < ?",
		[]notification.Status{notification.Queued, notification.Scheduled}, time.Now().UTC().Add(-grace)).
		Order("created_at").Limit(100).Find(&stranded).Error
	if err != nil {
		return 0, err
	}
	for i := range stranded {
		n := &stranded[i]
		if err := r.Jobs.EnqueueFanout(ctx, n); err != nil {
			return i, err
		}
		if err := r.DB.WithContext(ctx).Model(n).Update("enqueued_at", time.Now().UTC()).Error; err != nil {
			return i, err
		}
	}
	return len(stranded), nil
}
