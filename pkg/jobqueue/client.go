package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// Client enqueues Herald's jobs; it implements delivery.Jobs and
// webhook.Jobs.
type Client struct {
	asynq     *asynq.Client
	inspector *asynq.Inspector      // whether a webhook task is still queued
	rdb       redis.UniversalClient // the leases (live.go)
}

// NewClient enqueues through an existing Redis client, which the caller owns
// and closes; the Client itself holds nothing to release.
func NewClient(rdb redis.UniversalClient) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb), rdb: rdb}
}

// EnqueueFanout queues a notification's fan-out, at its send_at when
// scheduled. Its task id is the notification's, so enqueueing twice (API and
// reconciler) queues it once.
func (c *Client) EnqueueFanout(ctx context.Context, n *notification.Notification) error {
	if n.Zoned() {
		// Its first fan-out plans the zones, at once (status scheduled
		// meanwhile).
		return c.enqueueFanout(ctx, n, "fanout:"+n.ID, nil)
	}
	return c.enqueueFanout(ctx, n, "fanout:"+n.ID, n.SendAt)
}

// EnqueueZoneFanout queues the fan-out job of a local-time notification's
// zone due at (delivery.Jobs). A zone's task id is the notification's and
// the zone's instant.
func (c *Client) EnqueueZoneFanout(ctx context.Context, n *notification.Notification, at time.Time) error {
	return c.enqueueFanout(ctx, n, fmt.Sprintf("fanout:%s@%d", n.ID, at.Unix()), &at)
}

func (c *Client) enqueueFanout(ctx context.Context, n *notification.Notification, key string, at *time.Time) error {
	payload, err := proto.Marshal(&heraldv1.FanoutJob{NotificationId: n.ID, AppId: n.AppID})
	if err != nil {
		return fmt.Errorf("encode fan-out job: %w", err)
	}
	opts := []asynq.Option{
		asynq.Queue(QueueFor(n.Priority)), asynq.TaskID(key),
		asynq.MaxRetry(25), asynq.Timeout(30 * time.Minute),
	}
	due := time.Now()
	if at != nil {
		opts = append(opts, asynq.ProcessAt(*at))
		due = *at
	}
	if err := ignoreDuplicate(c.asynq.EnqueueContext(ctx, asynq.NewTask(TypeFanout, payload), opts...)); err != nil {
		return err
	}
	return c.hold(ctx, QueueFor(n.Priority), n.ID, due.Add(LiveFor))
}

// EnqueueBatch queues a delivery batch on p's queue under key as its task
// id, after delay. A batch already queued under that key is not queued
// again.
func (c *Client) EnqueueBatch(ctx context.Context, p notification.Priority, key string, b delivery.Batch, delay time.Duration) error {
	payload, err := encodeBatch(b)
	if err != nil {
		return fmt.Errorf("encode delivery batch: %w", err)
	}
	opts := []asynq.Option{
		asynq.Queue(QueueFor(p)), asynq.TaskID(key),
		asynq.MaxRetry(25), asynq.Timeout(10 * time.Minute),
	}
	due := time.Now()
	if delay > 0 {
		due = dueAt(due, delay)
		opts = append(opts, asynq.ProcessAt(due))
	}
	if err := ignoreDuplicate(c.asynq.EnqueueContext(ctx, asynq.NewTask(TypeDeliver, payload), opts...)); err != nil {
		return err
	}
	return c.hold(ctx, QueueFor(p), b.NotificationID, due.Add(LiveFor))
}

func ignoreDuplicate(_ *asynq.TaskInfo, err error) error {
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// dueAt is now+delay rounded up to a whole second. asynq keeps a scheduled
// task's time as whole Unix seconds, truncated, so an unrounded time could
// run the task up to a second early: before a push service's Retry-After.
func dueAt(now time.Time, delay time.Duration) time.Time {
	at := now.Add(delay)
	if t := at.Truncate(time.Second); t.Before(at) {
		return t.Add(time.Second)
	}
	return at
}
