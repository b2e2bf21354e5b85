package delivery

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"google.golang.org/protobuf/proto"

	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/testkit"
	heraldv1 "github.com/heraldpush/herald/proto/herald/v1"
)

// pushService stands in for the push services: it accepts every message
// after a short wait and remembers how many were in flight at most.
type pushService struct {
	mu             sync.Mutex
	inFlight, most int
	sent           atomic.Int64
}

func (p *pushService) Send(ctx context.Context, m pushsend.Message) pushsend.Result {
	p.mu.Lock()
	p.inFlight++
	p.most = max(p.most, p.inFlight)
	p.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	p.mu.Lock()
	p.inFlight--
	p.mu.Unlock()
	p.sent.Add(1)
	return pushsend.Result{Outcome: pushsend.Delivered, Status: 201}
}

type noEnqueue struct{}

func (noEnqueue) EnqueueFanout(context.Context, *notification.Notification) error { return nil }

func batchTask(t *testing.T, b *heraldv1.DeliveryBatch) *asynq.Task {
	t.Helper()
	payload, err := proto.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(jobs.TypeDeliver, payload)
}

// A batch sends at most as many messages at once as the Deliverer's
// limiter allows, records every outcome, and sends nothing when run again.
func TestHandleBatchBoundedByLimiterAndNotRepeated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	ids := f.addSubscriptions(t, 60, 0)
	n, _, err := notification.NewService(f.db, noEnqueue{}, testkit.Logger(t)).Create(ctx, f.appID, "", notification.Request{
		Target: notification.Target{SubscriptionIDs: ids}, Notification: notification.Content{Title: "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	push := &pushService{}
	d := NewDeliverer(DelivererConfig{DB: f.db, Jobs: f.jobs, Apps: f.apps, Sender: push, Log: testkit.Logger(t),
		Retry: RetryPolicy{MaxAttempts: 3, Base: time.Second, Max: time.Minute}, Limiter: inflight.NewLimiter(3)})
	task := batchTask(t, &heraldv1.DeliveryBatch{NotificationId: n.ID, AppId: f.appID, SubscriptionIds: ids, BatchSeq: 1, Attempt: 1})

	if err := d.HandleBatch(ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := push.sent.Load(); got != 60 {
		t.Fatalf("sent %d messages, want 60", got)
	}
	if push.most > 3 {
		t.Fatalf("%d sends in flight at once, limiter allows 3", push.most)
	}
	var recorded int64
	f.db.Table("deliveries").Where("notification_id = ? AND status = ?", n.ID, StatusDelivered).Count(&recorded)
	if recorded != 60 {
		t.Fatalf("%d deliveries recorded, want 60", recorded)
	}

	// Run again (a retried task): the notification is cached now, and every
	// subscription is already recorded.
	if err := d.HandleBatch(ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := push.sent.Load(); got != 60 {
		t.Fatalf("a re-run sent %d more messages", got-60)
	}
}

// A batch of a notification that no longer exists is not retried.
func TestHandleBatchUnknownNotificationSkipsRetry(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ids := f.addSubscriptions(t, 2, 0)
	d := NewDeliverer(DelivererConfig{DB: f.db, Jobs: f.jobs, Apps: f.apps, Sender: &pushService{}, Log: testkit.Logger(t), Limiter: inflight.NewLimiter(4)})
	err := d.HandleBatch(context.Background(), batchTask(t, &heraldv1.DeliveryBatch{
		NotificationId: "01890000-0000-7000-8000-000000000000", AppId: f.appID, SubscriptionIds: ids, BatchSeq: 1, Attempt: 1}))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want asynq.SkipRetry", err)
	}
}
