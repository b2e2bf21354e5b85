package delivery_test

import (
	"bytes"
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// fixture is an app on a PostgreSQL schema of its own, and a Redis
// database of its own with a job client on it.
type fixture struct {
	db    *database.DB
	apps  *app.Store
	appID string
	keyID string // the app's VAPID key
	rdb   *redis.Client
	jobs  *jobqueue.Client
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := dbtest.Postgres(t)
	key, _, _ := masterkey.Generate()
	apps := app.NewStore(db, key)
	created, err := apps.Create(context.Background(), app.CreateInput{Name: "delivery"})
	if err != nil {
		t.Fatal(err)
	}
	vk, err := apps.ActiveVAPIDKey(context.Background(), created.App.ID)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := redis.ParseURL(testkit.RedisURL(t))
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return &fixture{db: db, apps: apps, appID: created.App.ID, keyID: vk.ID, rdb: rdb, jobs: jobqueue.NewClient(rdb)}
}

// addSubscriptions stores total subscriptions of which the first gone are
// gone, in bulk, and returns their ids.
func (f *fixture) addSubscriptions(t *testing.T, total, gone int) []string {
	t.Helper()
	now := time.Now().UTC()
	rows := make([]subscription.Subscription, total)
	ids := make([]string, total)
	for i := range rows {
		status := subscription.Active
		if i < gone {
			status = subscription.Gone
		}
		ids[i] = uuid.Must(uuid.NewV7()).String()
		rows[i] = subscription.Subscription{ID: ids[i], AppID: f.appID, VAPIDKeyID: f.keyID,
			Endpoint: "https://fcm.googleapis.com/fcm/send/" + uuid.NewString(), P256dh: "k", Auth: "a",
			Status: status, CreatedAt: now, UpdatedAt: now}
	}
	if err := f.db.CreateInBatches(rows, 500).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

// boundedDeliverer delivers through push with at most bound sends in flight
// and no fleet limits: for the tests of recording and re-runs.
func (f *fixture) boundedDeliverer(push inflight.Sender, bound int) *delivery.Deliverer {
	return delivery.NewDeliverer(delivery.DelivererConfig{DB: f.db, Jobs: f.jobs, Apps: f.apps,
		Retry: delivery.RetryPolicy{MaxAttempts: 3, Base: time.Second, Max: time.Minute},
		Sends: inflight.NewScheduler(inflight.SchedulerConfig{Sender: push, Min: bound, Max: bound})})
}

// batchTo accepts a notification to ids and returns it with the one batch
// that holds them all, as a fan-out would have queued it.
func (f *fixture) batchTo(t *testing.T, ids []string) (*notification.Notification, delivery.Batch) {
	t.Helper()
	n := f.send(t, notification.Request{
		Target: notification.Target{SubscriptionIDs: ids}, Notification: notification.Content{Title: "hello"}})
	return n, f.batch(n, ids)
}

// batch is n's first batch, to ids, on its first attempt.
func (f *fixture) batch(n *notification.Notification, ids []string) delivery.Batch {
	return delivery.Batch{NotificationID: n.ID, AppID: f.appID, SubscriptionIDs: ids, Seq: 1, Attempt: 1}
}

// recordingPush accepts every message and remembers what each endpoint
// got, in order.
type recordingPush struct {
	mu  sync.Mutex
	got map[string][][]byte // endpoint -> payloads
}

func (p *recordingPush) Send(_ context.Context, m pushsend.Message) pushsend.Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.got == nil {
		p.got = map[string][][]byte{}
	}
	p.got[m.Endpoint] = append(p.got[m.Endpoint], bytes.Clone(m.Payload))
	return pushsend.Result{Outcome: pushsend.Delivered, Status: 201}
}

// count is how many messages endpoints got.
func (p *recordingPush) count(endpoints ...string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range endpoints {
		n += len(p.got[e])
	}
	return n
}

// payloads is what each endpoint got, in order.
func (p *recordingPush) payloads() map[string][][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.got)
}
