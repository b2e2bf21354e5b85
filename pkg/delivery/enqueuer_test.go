package delivery

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/queue"
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
	enq := &Enqueuer{Jobs: f.jobs, Fanout: &Fanout{DB: db, Jobs: f.jobs, Log: testkit.Logger(t)}}
	svc := notification.NewService(db, enq, testkit.Logger(t))

	urgent, _, err := svc.Create(ctx, f.appID, "", notification.Request{
		Target:  notification.Target{SubscriptionIDs: []string{subID}},
		Urgency: "high", Notification: notification.Content{Title: "now"}})
	if err != nil {
		t.Fatal(err)
	}
	var got notification.Notification
	db.Where("id = ?", urgent.ID).Take(&got)
	if got.Queue != queue.Critical || !got.FanoutDone || got.Targeted != 1 || got.EnqueuedAt == nil {
		t.Fatalf("urgent: queue=%s fanout_done=%v targeted=%d enqueued_at=%v", got.Queue, got.FanoutDone, got.Targeted, got.EnqueuedAt)
	}
	inspector := asynq.NewInspectorFromRedisClient(f.rdb)
	if _, err := inspector.GetTaskInfo(queue.Critical, "deliver:"+urgent.ID+":1"); err != nil {
		t.Fatalf("delivery batch not queued: %v", err)
	}
	if _, err := inspector.GetTaskInfo(queue.Critical, "fanout:"+urgent.ID); err == nil {
		t.Fatal("a fan-out job was queued too")
	}

	broadcast, _, err := svc.Create(ctx, f.appID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspector.GetTaskInfo(broadcast.Queue, "fanout:"+broadcast.ID); err != nil {
		t.Fatalf("broadcast fan-out job not queued: %v", err)
	}
}
