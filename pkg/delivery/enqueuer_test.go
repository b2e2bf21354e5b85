package delivery_test

import (
	"context"
	"testing"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

// An urgent notification to one subscription is fanned out while it is
// accepted: its delivery batch is queued on the critical queue at once, with
// no fan-out job in between; a broadcast still gets a fan-out job.
func TestEnqueuerFansOutUrgentInline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	db := f.db
	subID := f.addSubscriptions(t, 1, 0)[0]
	enq := delivery.NewEnqueuer(f.jobs, delivery.NewFanout(db, f.jobs, testkit.Logger(t), 0))
	svc := notification.NewService(db, enq, nil, testkit.Logger(t))

	urgent, _, err := svc.Create(ctx, f.appID, "", notification.Request{
		Target:  notification.Target{SubscriptionIDs: []string{subID}},
		Urgency: "high", Notification: notification.Content{Title: "now"}})
	if err != nil {
		t.Fatal(err)
	}
	var got notification.Notification
	db.Where("id = ?", urgent.ID).Take(&got)
	if jobqueue.QueueFor(got.Priority) != jobqueue.Critical || !got.FanoutDone || got.Targeted != 1 || got.EnqueuedAt == nil {
		t.Fatalf("urgent: queue=%s fanout_done=%v targeted=%d enqueued_at=%v", jobqueue.QueueFor(got.Priority), got.FanoutDone, got.Targeted, got.EnqueuedAt)
	}
	inspector := jobqueue.NewInspector(f.rdb)
	if _, err := inspector.Task(jobqueue.Critical, "deliver:"+urgent.ID+":1"); err != nil {
		t.Fatalf("delivery batch not queued: %v", err)
	}
	if _, err := inspector.Task(jobqueue.Critical, "fanout:"+urgent.ID); err == nil {
		t.Fatal("a fan-out job was queued too")
	}

	broadcast, _, err := svc.Create(ctx, f.appID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspector.Task(jobqueue.QueueFor(broadcast.Priority), "fanout:"+broadcast.ID); err != nil {
		t.Fatalf("broadcast fan-out job not queued: %v", err)
	}
}
