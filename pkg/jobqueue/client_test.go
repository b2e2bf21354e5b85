package jobqueue

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

func TestDueAtNeverEarly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 900_000_000, time.UTC)
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 1500 * time.Millisecond, 100 * time.Millisecond} {
		at := dueAt(now, d)
		// asynq stores whole seconds, truncated: that must still be >= now+d.
		if stored := time.Unix(at.Unix(), 0); stored.Before(now.Add(d)) {
			t.Errorf("delay %s: stored due time %s is before %s", d, stored, now.Add(d))
		}
	}
}

// The same batch task id enqueued twice is queued once.
func TestEnqueueBatchIsIdempotent(t *testing.T) {
	t.Parallel()
	opts, _ := redis.ParseURL(testkit.RedisURL(t))
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	c := NewClient(rdb)
	b := delivery.Batch{NotificationID: "n", SubscriptionIDs: []string{"a", "b"}, Attempt: 1}
	for range 2 {
		if err := c.EnqueueBatch(context.Background(), notification.Normal, "deliver:n:1", b, 0); err != nil {
			t.Fatal(err)
		}
	}
	info, err := asynq.NewInspectorFromRedisClient(rdb).GetQueueInfo("herald:default")
	if err != nil || info.Pending != 1 {
		t.Fatalf("pending = %v, %v; want 1", info, err)
	}
	task, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo("herald:default", "deliver:n:1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBatch(task.Payload)
	if err != nil || len(got.SubscriptionIDs) != 2 || got.Attempt != 1 {
		t.Fatalf("decoded %v, %v", got, err)
	}
}
