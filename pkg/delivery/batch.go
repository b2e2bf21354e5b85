// Package delivery turns a stored notification into pushes: the fan-out
// over its audience, the batches of subscriptions the workers send, the
// outcomes they record, retries, the reconciler that catches what Redis
// missed, and sending a dead letter again. It owns the deliveries table
// (one final outcome per notification and subscription). It never touches
// the job transport itself: it takes Jobs (pkg/jobqueue implements it) and
// Sends (the worker's send scheduler, pkg/inflight).
package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
)

// BatchSize is how many subscriptions one delivery batch carries.
const BatchSize = 500

// Batch is one delivery job: subscriptions of one notification to send to.
type Batch struct {
	NotificationID  string
	AppID           string
	SubscriptionIDs []string
	Seq             int // the fan-out's number for it; picks the count shard
	Attempt         int // 1 for the first try of these subscriptions
}

// Jobs queues delivery work. Each job has a key: a job whose key is
// already queued is not queued again, which is what makes the fan-out and
// the retries safe to repeat.
type Jobs interface {
	// EnqueueFanout queues the notification's fan-out at its send_at,
	// keyed by its id.
	EnqueueFanout(ctx context.Context, n *notification.Notification) error
	// EnqueueZoneFanout queues the fan-out of a local-time notification's
	// zone due at, keyed by the notification and at.
	EnqueueZoneFanout(ctx context.Context, n *notification.Notification, at time.Time) error
	// EnqueueBatch queues a batch at priority p, due after delay.
	EnqueueBatch(ctx context.Context, p notification.Priority, key string, b Batch, delay time.Duration) error
}

// Sends pushes a batch's messages under the worker's send scheduler, which
// decides how many run at once and who goes first. Push calls done for
// every message it sent (concurrently), stops starting sends once ctx ends,
// and returns when every started one is done.
type Sends interface {
	Push(ctx context.Context, urgent bool, msgs []pushsend.Message, done func(i int, r pushsend.Result))
}

// ErrNotificationGone is returned for work of a notification that no longer
// exists: running it again cannot help.
var ErrNotificationGone = errors.New("delivery: the notification does not exist")
