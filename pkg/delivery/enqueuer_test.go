package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database/dbtest"
	"github.com/heraldpush/herald/pkg/jobs"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/queue"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testenv"
)

// An urgent notification to one subscription is fanned out while it is
// accepted: its delivery batch is queued on the critical queue at once, with
// no fan-out job in between; a broadcast still gets a fan-out job.
func TestEnqueuerFansOutUrgentInline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.Postgres(t)
	key, _, _ := masterkey.Generate()
	apps := app.NewStore(db, key)
	created, err := apps.Create(ctx, app.CreateInput{Name: "e"})
	if err != nil {
		t.Fatal(err)
	}
	vk, _ := apps.ActiveVAPIDKey(ctx, created.App.ID)
	now := time.Now().UTC()
	sub := subscription.Subscription{ID: uuid.Must(uuid.NewV7()).String(), AppID: created.App.ID, VAPIDKeyID: vk.ID,
		Endpoint: "https://fcm.googleapis.com/fcm/send/x", P256dh: "k", Auth: "a", Status: subscription.Active,
		CreatedAt: now, UpdatedAt: now}
	if err := db.Create(&sub).Error; err != nil {
		t.Fatal(err)
	}
	opts, _ := redis.ParseURL(testenv.RedisURL(t))
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	jobClient := jobs.NewClient(rdb)
	enq := &Enqueuer{Jobs: jobClient, Fanout: &Fanout{DB: db, Jobs: jobClient, Log: testenv.Logger(t)}}
	svc := notification.NewService(db, enq, testenv.Logger(t))

	urgent, _, err := svc.Create(ctx, created.App.ID, "", notification.Request{
		Target:  notification.Target{SubscriptionIDs: []string{sub.ID}},
		Urgency: "high", Notification: notification.Content{Title: "now"}})
	if err != nil {
		t.Fatal(err)
	}
	var got notification.Notification
	db.Where("id = ?", urgent.ID).Take(&got)
	if got.Queue != queue.Critical || !got.FanoutDone || got.Targeted != 1 || got.EnqueuedAt == nil {
		t.Fatalf("urgent: queue=%s fanout_done=%v targeted=%d enqueued_at=%v", got.Queue, got.FanoutDone, got.Targeted, got.EnqueuedAt)
	}
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	if _, err := inspector.GetTaskInfo(queue.Critical, "deliver:"+urgent.ID+":1"); err != nil {
		t.Fatalf("delivery batch not queued: %v", err)
	}
	if _, err := inspector.GetTaskInfo(queue.Critical, "fanout:"+urgent.ID); err == nil {
		t.Fatal("a fan-out job was queued too")
	}

	broadcast, _, err := svc.Create(ctx, created.App.ID, "", notification.Request{
		Target: notification.Target{All: true}, Notification: notification.Content{Title: "all"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspector.GetTaskInfo(broadcast.Queue, "fanout:"+broadcast.ID); err != nil {
		t.Fatalf("broadcast fan-out job not queued: %v", err)
	}
}
