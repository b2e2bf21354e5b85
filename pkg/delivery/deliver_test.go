package delivery_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
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

// A batch sends at most as many messages at once as the send scheduler's
// bound allows, records every outcome, and sends nothing when run again.
func TestDeliverBatchBoundedBySchedulerAndNotRepeated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	ids := f.addSubscriptions(t, 60, 0)
	n, batch := f.batchTo(t, ids)
	push := &pushService{}
	d := f.boundedDeliverer(push, 3)

	if err := d.DeliverBatch(ctx, batch, n.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.sent.Load(); got != 60 {
		t.Fatalf("sent %d messages, want 60", got)
	}
	if push.most > 3 {
		t.Fatalf("%d sends in flight at once, the scheduler allows 3", push.most)
	}
	var recorded int64
	f.db.Table("deliveries").Where("notification_id = ? AND status = ?", n.ID, delivery.StatusDelivered).Count(&recorded)
	if recorded != 60 {
		t.Fatalf("%d deliveries recorded, want 60", recorded)
	}

	// Run again (a retried task): the notification is cached now, and every
	// subscription is already recorded.
	if err := d.DeliverBatch(ctx, batch, n.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.sent.Load(); got != 60 {
		t.Fatalf("a re-run sent %d more messages", got-60)
	}
}

// A batch of a notification that no longer exists says so, and the
// worker does not retry it (services/worker checks the asynq side).
func TestDeliverBatchUnknownNotificationIsGone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ids := f.addSubscriptions(t, 2, 0)
	err := f.boundedDeliverer(&pushService{}, 4).DeliverBatch(context.Background(), delivery.Batch{
		NotificationID: "01890000-0000-7000-8000-000000000000", AppID: f.appID, SubscriptionIDs: ids, Seq: 1, Attempt: 1}, notification.Normal)
	if !errors.Is(err, delivery.ErrNotificationGone) {
		t.Fatalf("err = %v, want delivery.ErrNotificationGone", err)
	}
}
