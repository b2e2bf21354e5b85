package jobqueue

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/heraldpush/herald/pkg/redisconn"
	"github.com/heraldpush/herald/pkg/testkit"
)

// A webhook task is queued once per message and round, reads as queued
// until it is gone, and an archived one (it will never run again) is
// dropped so the message can be handed over anew; on Redis and on the
// embedded Redis of `make run`.
func TestWebhookTasks(t *testing.T) {
	t.Parallel()
	for name, url := range map[string]string{"redis": testkit.RedisURL(t), "embedded": ""} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			conn, err := redisconn.Open(ctx, url, testkit.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			c := NewClient(conn.Client)
			const id = "01890000-0000-7000-8000-00000000000a"
			for range 2 {
				if err := c.EnqueueWebhook(ctx, id, "app", 0, 39); err != nil {
					t.Fatal(err)
				}
			}
			inspector := asynq.NewInspectorFromRedisClient(conn.Client)
			info, err := inspector.GetTaskInfo(Webhooks, "webhook:"+id+":0")
			if err != nil || info.MaxRetry != 39 || info.State != asynq.TaskStatePending {
				t.Fatalf("task %+v %v", info, err)
			}
			if q, _ := inspector.GetQueueInfo(Webhooks); q == nil || q.Pending != 1 {
				t.Fatalf("queue %+v: want one task", q)
			}
			task, err := DecodeWebhook(info.Payload)
			if err != nil || task.MessageID != id || task.AppID != "app" || task.Resends != 0 {
				t.Fatalf("decoded %+v %v", task, err)
			}
			if queued, err := c.WebhookQueued(ctx, id, 0); err != nil || !queued {
				t.Fatalf("queued: %v %v", queued, err)
			}
			if queued, err := c.WebhookQueued(ctx, id, 1); err != nil || queued {
				t.Fatalf("the next round queued: %v %v", queued, err)
			}
			if err := inspector.ArchiveTask(Webhooks, "webhook:"+id+":0"); err != nil {
				t.Fatal(err)
			}
			if queued, err := c.WebhookQueued(ctx, id, 0); err != nil || queued {
				t.Fatalf("archived task queued: %v %v", queued, err)
			}
			if err := c.EnqueueWebhook(ctx, id, "app", 0, 39); err != nil {
				t.Fatal(err)
			}
			if queued, err := c.WebhookQueued(ctx, id, 0); err != nil || !queued {
				t.Fatalf("handed over again: %v %v", queued, err)
			}
			if _, err := DecodeWebhook([]byte{0x0a, 0x03, 'b', 'a', 'd'}); err == nil {
				t.Fatal("a task naming no message id decoded")
			}
		})
	}
}
