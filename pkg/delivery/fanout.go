package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// pageBatches is how many batches one audience query fills; a page is
// also the unit of the cursor (one commit per page).
const pageBatches = 20

// enqueueConcurrency is how many batches of a page are queued at once.
const enqueueConcurrency = 4

// Fanout walks a notification's audience and enqueues delivery batches.
type Fanout struct {
	notifications *notification.Store
	subscriptions *subscription.Store
	jobs          Jobs
	log           *slog.Logger
	batchSize     int
	now           func() time.Time // when local-time zones are due
}

// NewFanout returns a Fanout queuing batches of batchSize (0: BatchSize)
// through jobs.
func NewFanout(db *database.DB, jobs Jobs, log *slog.Logger, batchSize int) *Fanout {
	return NewFanoutAt(db, jobs, log, batchSize, time.Now)
}

// NewFanoutAt is NewFanout on the clock now, which says when the zones of
// a local-time notification are due (tests set it).
func NewFanoutAt(db *database.DB, jobs Jobs, log *slog.Logger, batchSize int, now func() time.Time) *Fanout {
	if batchSize <= 0 {
		batchSize = BatchSize
	}
	return &Fanout{notifications: notification.NewStore(db), subscriptions: subscription.NewStore(db),
		jobs: jobs, log: log, batchSize: batchSize, now: now}
}

// Run fans out one notification from the cursor stored with it. Each batch
// has a deterministic key (notification, sequence number), and the cursor,
// sequence and targeted count advance together after the batch is queued,
// so a crash between the two queues the same key again, which the job
// queue refuses: no batch is queued twice.
func (f *Fanout) Run(ctx context.Context, notificationID string) error {
	n, err := f.notifications.Load(ctx, notificationID)
	if errors.Is(err, notification.ErrNotFound) {
		return fmt.Errorf("notification %s: %w", notificationID, ErrNotificationGone)
	}
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
	audience, err := n.Audience()
	if err != nil {
		return err
	}
	zone, err := f.zone(ctx, n, &audience)
	if err != nil || zone.wait {
		return err
	}
	size, spacing := f.batchSize, time.Duration(0)
	if per := n.ThrottlePerMinute; per > 0 {
		// A throttled notification's batches hold one burst each and are
		// due one after the other at its rate: each goes out whole when it
		// comes, and the throttle (Deliverer's gates) rarely has to send
		// part of one back to wait.
		size = min(size, ThrottleBatchSize(per))
		spacing = time.Minute * time.Duration(size) / time.Duration(per)
	}
	// The k-th batch of this run is due k spacings after the run began,
	// whatever the audience queries cost: counting from each page's own
	// enqueue would add the fan-out's time to the broadcast's (a 6,000
	// broadcast at 3,000 a minute took 2m13s, not 2m).
	ran, began := 0, time.Now()
	// One goroutine reads the next page while this one queues the current
	// page's batches, several at a time, then moves the cursor: the three
	// round trips overlap instead of adding up (1M subscriptions took 40 s).
	limit := size * pageBatches
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	pages := make(chan audienceResult, 1)
	go f.readAudience(readCtx, audience, n.FanoutCursor, limit, pages)
	seq, cursor := n.FanoutSeq, n.FanoutCursor
	for page := range pages {
		if page.err != nil {
			return page.err
		}
		if err := ctx.Err(); err != nil {
			return err // shutting down: the job runs again; the cursor keeps our place
		}
		first := seq
		if err := f.enqueuePage(ctx, n, page.ids, size, first, began.Add(spacing*time.Duration(ran)), spacing); err != nil {
			return err
		}
		ran += (len(page.ids) + size - 1) / size
		seq += (len(page.ids) + size - 1) / size
		if len(page.ids) > 0 {
			cursor = page.ids[len(page.ids)-1]
		}
		// One update per page moves the cursor, marks the notification
		// sending on the first and the fan-out done on the last (a short
		// page): a small urgent audience costs one commit, not three.
		last := len(page.ids) < limit
		advanced, err := f.notifications.AdvanceFanout(ctx, notification.FanoutStep{
			ID: n.ID, FromSeq: first, ToSeq: seq, Cursor: cursor, Added: len(page.ids),
			Last: last && zone.last, NextZone: last && !zone.last})
		if err != nil {
			return err
		}
		if !advanced {
			if st, _ := f.notifications.Status(ctx, n.ID); st != notification.Cancelled {
				f.log.Warn("another fan-out advanced this notification; stopping", "notification_id", n.ID)
			}
			return nil
		}
		if last && !zone.last {
			// The next zone may be due already (zones past at planning
			// share one instant, but a slow zone may run into the next).
			return f.Run(ctx, n.ID)
		}
		if last {
			// After the commit: see notification.Store.CompleteIfDone.
			_, err := f.notifications.CompleteIfDone(ctx, n.ID)
			return err
		}
	}
	return ctx.Err()
}

// enqueuePage queues one page's batches, numbered after seq, concurrently;
// the first is due at due and each next one spacing later (what is due
// already goes at once). Their keys are deterministic, so a page queued
// again after a crash adds nothing.
func (f *Fanout) enqueuePage(ctx context.Context, n *notification.Notification, ids []string, size, seq int, due time.Time, spacing time.Duration) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(enqueueConcurrency)
	for chunk := range slices.Chunk(ids, size) {
		seq++
		batch := Batch{NotificationID: n.ID, AppID: n.AppID, SubscriptionIDs: chunk, Seq: seq, Attempt: 1}
		key := fmt.Sprintf("deliver:%s:%d", n.ID, seq)
		delay := max(0, time.Until(due))
		due = due.Add(spacing)
		g.Go(func() error { return f.jobs.EnqueueBatch(gctx, n.Priority, key, batch, delay) })
	}
	return g.Wait()
}

type audienceResult struct {
	ids []string
	err error
}

// readAudience sends the audience from cursor, a page at a time, and
// closes pages after the last (short or empty) one.
func (f *Fanout) readAudience(ctx context.Context, a subscription.Audience, cursor string, limit int, pages chan<- audienceResult) {
	defer close(pages)
	for {
		ids, err := f.subscriptions.AudiencePage(ctx, a, cursor, limit)
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
