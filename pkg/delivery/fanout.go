package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// BatchSize is how many subscriptions one delivery job carries.
const BatchSize = 500

// pageBatches is how many batches one audience query fills; a page is
// also the unit of the cursor (one commit per page).
const pageBatches = 20

// Fanout walks a notification's audience and enqueues delivery batches.
type Fanout struct {
	DB        *database.DB
	Jobs      *jobs.Client
	Log       *slog.Logger
	BatchSize int
}

// HandleFanout is the asynq handler for jobs.TypeFanout. It resumes from the
// cursor stored with the notification. Each batch has a deterministic task
// id (notification, sequence number), and the cursor, sequence and targeted
// count advance together after the batch is queued, so a crash between the
// two re-queues the same id, which asynq refuses: no batch is queued twice.
func (f *Fanout) HandleFanout(ctx context.Context, t *asynq.Task) error {
	job, err := jobs.DecodeFanout(t)
	if err != nil {
		return err
	}
	return f.Run(ctx, job.NotificationId)
}

// Run fans out one notification from its stored cursor.
func (f *Fanout) Run(ctx context.Context, notificationID string) error {
	n, err := loadNotification(ctx, f.DB, notificationID)
	if err != nil {
		return err
	}
	return f.run(ctx, n)
}

// run fans out n, as loaded, from its cursor.
func (f *Fanout) run(ctx context.Context, n *notification.Notification) error {
	if n.Status == notification.Cancelled || n.FanoutDone {
		return nil
	}
	size := f.BatchSize
	if size <= 0 {
		size = BatchSize
	}
	// One goroutine reads the next page while this one queues the current
	// page's batches, several at a time, then moves the cursor: the three
	// round trips overlap instead of adding up (1M subscriptions took 40 s).
	limit := size * pageBatches
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	pages := make(chan audienceResult, 1)
	go readAudience(readCtx, f.DB, n, limit, pages)
	seq, cursor := n.FanoutSeq, n.FanoutCursor
	for page := range pages {
		if page.err != nil {
			return page.err
		}
		if err := ctx.Err(); err != nil {
			return err // shutting down: asynq re-queues us; the cursor keeps our place
		}
		first := seq
		if err := f.enqueuePage(ctx, n, page.ids, size, first); err != nil {
			return err
		}
		seq += (len(page.ids) + size - 1) / size
		if len(page.ids) > 0 {
			cursor = page.ids[len(page.ids)-1]
		}
		// One update per page moves the cursor, marks the notification
		// sending on the first and the fan-out done on the last (a short
		// page): a small urgent audience costs one commit, not three.
		last := len(page.ids) < limit
		res := f.DB.WithContext(ctx).Exec(`UPDATE notifications SET fanout_cursor = ?, fanout_seq = ?, targeted = targeted + ?,
			fanout_done = ?, updated_at = ?, status = CASE WHEN status IN ('scheduled', 'queued') THEN 'sending' ELSE status END
			WHERE id = ? AND fanout_seq = ? AND NOT fanout_done AND status <> 'cancelled'`,
			cursor, seq, len(page.ids), last, time.Now().UTC(), n.ID, first)
		if res.Error != nil {
			return fmt.Errorf("advance fan-out cursor: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			if !cancelled(ctx, f.DB, n.ID) {
				f.Log.Warn("another fan-out advanced this notification; stopping", "notification_id", n.ID)
			}
			return nil
		}
		if last {
			// After the commit: see notification.CompleteIfDone.
			_, err := notification.CompleteIfDone(ctx, f.DB, n.ID)
			return err
		}
	}
	return ctx.Err()
}

// enqueuePage queues one page's batches, numbered after seq, concurrently.
// Their task ids are deterministic, so a page queued again after a crash
// adds nothing.
func (f *Fanout) enqueuePage(ctx context.Context, n *notification.Notification, ids []string, size, seq int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(enqueueConcurrency)
	for chunk := range slices.Chunk(ids, size) {
		seq++
		batch := &heraldv1.DeliveryBatch{NotificationId: n.ID, AppId: n.AppID, SubscriptionIds: chunk, BatchSeq: uint32(seq), Attempt: 1}
		taskID := fmt.Sprintf("deliver:%s:%d", n.ID, seq)
		g.Go(func() error { return f.Jobs.EnqueueBatch(gctx, n.Queue, taskID, batch, 0) })
	}
	return g.Wait()
}

// enqueueConcurrency is how many batches of a page are queued at once.
const enqueueConcurrency = 4

type audienceResult struct {
	ids []string
	err error
}

// readAudience sends the notification's audience from its stored cursor, a
// page at a time, and closes pages after the last (short or empty) one.
func readAudience(ctx context.Context, db *database.DB, n *notification.Notification, limit int, pages chan<- audienceResult) {
	defer close(pages)
	cursor := n.FanoutCursor
	for {
		ids, err := audiencePage(ctx, db, n, cursor, limit)
		select {
		case pages <- audienceResult{ids: ids, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil || len(ids) < limit {
			return // a short page is the last: skip the empty query
		}
		cursor = ids[len(ids)-1]
	}
}

func loadNotification(ctx context.Context, db *database.DB, id string) (*notification.Notification, error) {
	var n notification.Notification
	err := db.WithContext(ctx).Where("id = ?", id).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("notification %s does not exist: %w", id, asynq.SkipRetry)
	}
	if err != nil {
		return nil, fmt.Errorf("load notification: %w", err)
	}
	return &n, nil
}

func cancelled(ctx context.Context, db *database.DB, id string) bool {
	var status string
	db.WithContext(ctx).Raw("SELECT status FROM notifications WHERE id = ?", id).Scan(&status)
	return status == string(notification.Cancelled)
}
