package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
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
	svc := notification.NewService(db, failingEnqueuer{}, nil, testkit.Logger(t))
	n, _, err := svc.Create(ctx, fx.appID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "hi"}})
	if err != nil {
		t.Fatalf("accept with Redis down: %v", err)
	}
	if n.EnqueuedAt != nil {
		t.Fatal("marked enqueued although the enqueue failed")
	}
	r := delivery.NewReconciler(db, fx.jobs, testkit.Logger(t), 0, time.Nanosecond)
	if got, err := r.Once(ctx); err != nil || got != 1 {
		t.Fatalf("Once = %d, %v; want 1", got, err)
	}
	if got, _ := r.Once(ctx); got != 0 {
		t.Fatalf("second Once enqueued %d again", got)
	}
	info, err := jobqueue.NewInspector(fx.rdb).Task(jobqueue.QueueFor(n.Priority), "fanout:"+n.ID)
	if err != nil || info.Type != jobqueue.TypeFanout {
		t.Fatalf("fan-out task not queued: %v %v", info, err)
	}
}
