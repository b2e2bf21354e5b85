package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

// failingEnqueuer stands for Redis being unreachable when the API accepts.
type failingEnqueuer struct{}

func (failingEnqueuer) EnqueueFanout(context.Context, *notification.Notification) error {
	return context.DeadlineExceeded
}

// A notification accepted while Redis was unreachable is stored, then
// enqueued by the reconciler: never lost, never left in limbo.
func TestReconcilerEnqueuesStrandedNotification(t *testing.T) {
	t.Parallel()
	fx := setup(t)
	db := fx.db
	ctx := context.Background()
	svc := notification.NewService(db, failingEnqueuer{}, testkit.Logger(t))
	n, _, err := svc.Create(ctx, fx.appID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "hi"}})
	if err != nil {
		t.Fatalf("accept with Redis down: %v", err)
	}
	if n.EnqueuedAt != nil {
		t.Fatal("marked enqueued although the enqueue failed")
	}
	r := &Reconciler{DB: db, Jobs: fx.jobs, Log: testkit.Logger(t), Grace: time.Nanosecond}
	if got, err := r.Once(ctx); err != nil || got != 1 {
		t.Fatalf("Once = %d, %v; want 1", got, err)
	}
	if got, _ := r.Once(ctx); got != 0 {
		t.Fatalf("second Once enqueued %d again", got)
	}
	info, err := asynq.NewInspectorFromRedisClient(fx.rdb).GetTaskInfo(n.Queue, "fanout:"+n.ID)
	if err != nil || info.Type != jobs.TypeFanout {
		t.Fatalf("fan-out task not queued: %v %v", info, err)
	}
}
