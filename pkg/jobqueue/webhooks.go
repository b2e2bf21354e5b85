package jobqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"google.golang.org/protobuf/proto"

	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// Webhooks is the queue of webhook requests. The worker serves it with a job
// server of its own, so a receiver that is slow or down, retried for a day,
// never holds a slot a push batch needs.
const Webhooks = "herald:webhooks"

// TypeWebhook is the task that makes one webhook request (WebhookDelivery).
const TypeWebhook = "herald:v1:webhook"

// webhookTimeout bounds one webhook task: one request (10 s by default) and
// its bookkeeping.
const webhookTimeout = 2 * time.Minute

// WebhookTask is a webhook task's payload: the outbox message to send and
// the round it was handed over in.
type WebhookTask struct {
	MessageID, AppID string
	Resends          int
}

func webhookTaskID(messageID string, resends int) string {
	return fmt.Sprintf("webhook:%s:%d", messageID, resends)
}

// EnqueueWebhook queues the request of an outbox message (webhook.Jobs),
// retried by the worker up to maxRetry times. The task id is the message's
// and its round's: handing a message over twice queues it once, and a
// re-sent message (the next round) gets a task of its own.
func (c *Client) EnqueueWebhook(ctx context.Context, messageID, appID string, resends, maxRetry int) error {
	payload, err := proto.Marshal(&heraldv1.WebhookDelivery{MessageId: messageID, AppId: appID, Round: uint32(resends)})
	if err != nil {
		return fmt.Errorf("encode webhook task: %w", err)
	}
	_, err = c.asynq.EnqueueContext(ctx, asynq.NewTask(TypeWebhook, payload), asynq.Queue(Webhooks),
		asynq.TaskID(webhookTaskID(messageID, resends)), asynq.MaxRetry(maxRetry), asynq.Timeout(webhookTimeout))
	if err := ignoreDuplicate(nil, err); err != nil {
		return err
	}
	// Keep the queue known to asynq's inspector after Redis came back empty
	// (see hold).
	if err := c.rdb.SAdd(ctx, asynqQueues, Webhooks).Err(); err != nil {
		return fmt.Errorf("register queue %s: %w", Webhooks, err)
	}
	return nil
}

// WebhookQueued reports whether the message's task of that round is still
// in the queue: waiting, running or waiting for a retry (webhook.Jobs). An
// archived task never runs again: it is deleted, so the message can be
// handed over anew under the same id, and counts as gone.
func (c *Client) WebhookQueued(ctx context.Context, messageID string, resends int) (bool, error) {
	id := webhookTaskID(messageID, resends)
	info, err := c.inspector.GetTaskInfo(Webhooks, id)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("webhook task %s: %w", id, err)
	}
	if info.State != asynq.TaskStateArchived {
		return true, nil
	}
	if err := c.inspector.DeleteTask(Webhooks, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return false, fmt.Errorf("drop archived webhook task %s: %w", id, err)
	}
	return false, nil
}

// DecodeWebhook reads a webhook task's payload.
func DecodeWebhook(payload []byte) (WebhookTask, error) {
	var job heraldv1.WebhookDelivery
	if err := proto.Unmarshal(payload, &job); err != nil {
		return WebhookTask{}, fmt.Errorf("decode webhook task: %v: %w", err, ErrBadPayload)
	}
	if _, err := uuid.Parse(job.MessageId); err != nil {
		return WebhookTask{}, fmt.Errorf("webhook task names message %q: %w", job.MessageId, ErrBadPayload)
	}
	return WebhookTask{MessageID: job.MessageId, AppID: job.AppId, Resends: int(job.Round)}, nil
}

// RetryAfter is the delay to give asynq for a task to run again no earlier
// than d from now: asynq keeps a retry's time as whole Unix seconds,
// truncated, so d is rounded up to the next whole second (see dueAt).
func RetryAfter(d time.Duration) time.Duration {
	now := time.Now()
	return dueAt(now, d).Sub(now)
}
