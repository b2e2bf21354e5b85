package delivery_test

import (
	"context"
	"slices"
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

func newReconciler(t *testing.T, fx *fixture) *delivery.Reconciler {
	return delivery.NewReconciler(fx.db, fx.jobs, fx.jobs, testkit.Logger(t),
		delivery.ReconcilerConfig{Grace: time.Nanosecond, Stall: time.Nanosecond})
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
	r := newReconciler(t, fx)
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

// Redis lost whole after a broadcast was fanned out and part delivered,
// and a scheduled notification's fan-out with it: the reconciler queues
// again exactly the subscriptions with no recorded outcome, and the
// scheduled fan-out at its send_at; the broadcast then completes with
// nothing sent twice.
func TestReconcilerRepairsWorkRedisLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := setup(t)
	fx.addSubscriptions(t, 1234, 34)
	svc := notification.NewService(fx.db, nopEnqueuer{}, nil, testkit.Logger(t))
	n, _, err := svc.Create(ctx, fx.appID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	sendAt := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	scheduled, _, err := svc.Create(ctx, fx.appID, "", notification.Request{SendAt: &sendAt,
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "later"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.jobs.EnqueueFanout(ctx, scheduled); err != nil {
		t.Fatal(err)
	}
	if err := delivery.NewFanout(fx.db, fx.jobs, testkit.Logger(t), 100).Run(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	queue := jobqueue.QueueFor(n.Priority)
	batches := queuedBatches(t, fx, queue)
	if len(batches) != 12 {
		t.Fatalf("%d batches queued, want 12", len(batches))
	}
	push := &pushService{}
	d := fx.boundedDeliverer(push, 8)
	delivered := map[string]bool{}
	for _, b := range batches[:5] {
		if err := d.DeliverBatch(ctx, b, n.Priority); err != nil {
			t.Fatal(err)
		}
		for _, id := range b.SubscriptionIDs {
			delivered[id] = true
		}
	}
	r := newReconciler(t, fx)
	if got, err := r.Once(ctx); err != nil || got != 0 {
		t.Fatalf("Once with Redis intact = %d, %v; want 0", got, err)
	}

	if err := fx.rdb.FlushDB(ctx).Err(); err != nil { // Redis comes back empty
		t.Fatal(err)
	}
	if got, err := r.Once(ctx); err != nil || got != 2 {
		t.Fatalf("Once after the loss = %d, %v; want 2", got, err)
	}
	if got, _ := r.Once(ctx); got != 0 {
		t.Fatalf("second Once queued %d again", got)
	}
	info, err := jobqueue.NewInspector(fx.rdb).Task(jobqueue.QueueFor(scheduled.Priority), "fanout:"+scheduled.ID)
	if err != nil {
		keys, _ := fx.rdb.Keys(ctx, "*").Result()
		t.Fatalf("scheduled fan-out not queued again: %v %v", err, keys)
	}
	if sched, _ := jobqueue.NewInspector(fx.rdb).Scheduled(info.Queue, 10); len(sched) != 1 || !sched[0].NextProcessAt.Equal(sendAt) {
		t.Fatalf("scheduled fan-out due %v, want %v", sched, sendAt)
	}
	repaired := queuedBatches(t, fx, queue)
	var requeued []string
	for _, b := range repaired {
		requeued = append(requeued, b.SubscriptionIDs...)
	}
	if len(requeued) != 700 {
		t.Fatalf("%d subscriptions queued again, want the 700 undelivered", len(requeued))
	}
	for _, id := range requeued {
		if delivered[id] {
			t.Fatalf("recorded subscription %s queued again", id)
		}
	}
	for _, b := range repaired {
		if err := d.DeliverBatch(ctx, b, n.Priority); err != nil {
			t.Fatal(err)
		}
	}
	got, err := notification.NewStore(fx.db).Get(ctx, fx.appID, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != notification.Completed || got.Targeted != 1200 || got.Delivered != 1200 || push.sent.Load() != 1200 {
		t.Fatalf("status %s targeted %d delivered %d sent %d; want completed, 1200 each", got.Status, got.Targeted, got.Delivered, push.sent.Load())
	}
}

// queuedBatches decodes the delivery batches pending on queue, by sequence.
func queuedBatches(t *testing.T, fx *fixture, queue string) []delivery.Batch {
	t.Helper()
	tasks, err := jobqueue.NewInspector(fx.rdb).Pending(queue, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []delivery.Batch
	for _, task := range tasks {
		if task.Type != jobqueue.TypeDeliver {
			continue
		}
		b, err := jobqueue.DecodeBatch(task.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b delivery.Batch) int { return a.Seq - b.Seq })
	return out
}
