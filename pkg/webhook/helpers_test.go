package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/testkit"
)

func pageOf(n int) listing.Page { return listing.Page{Limit: n} }

// queue is the fixture's job queue: a Redis database of the test's own.
func (f *fixture) queue(t *testing.T) *jobqueue.Client {
	t.Helper()
	if f.rdb == nil {
		opts, err := redis.ParseURL(testkit.RedisURL(t))
		if err != nil {
			t.Fatal(err)
		}
		f.rdb = redis.NewClient(opts)
		t.Cleanup(func() { f.rdb.Close() })
	}
	return jobqueue.NewClient(f.rdb)
}

// work does a worker's round by hand: a Tick (announcements, batches, the
// hand-over to the job queue in Redis), then what the queue's handler does,
// Deliver, for each webhook task queued whose message is due by the
// dispatcher's clock (its next attempt has come). No job server takes the
// tasks here, so every round hands Deliver all of them again: a delivered
// or failed message must not be sent twice.
func (f *fixture) work(t *testing.T, d *Dispatcher) error {
	t.Helper()
	ctx := context.Background()
	if err := d.Tick(ctx); err != nil {
		return err
	}
	f.queue(t)
	tasks, err := jobqueue.NewInspector(f.rdb).Pending(jobqueue.Webhooks, 1000)
	if err != nil {
		return err
	}
	for _, info := range tasks {
		task, err := jobqueue.DecodeWebhook(info.Payload)
		if err != nil {
			return err
		}
		var m Message
		if err := f.db.Where("id = ?", task.MessageID).Take(&m).Error; err != nil || m.NextAttemptAt.After(d.now()) {
			continue
		}
		var retry *RetryError
		if err := d.Deliver(ctx, Task{MessageID: task.MessageID, Resends: task.Resends}, false); err != nil && !errors.As(err, &retry) {
			return err
		}
	}
	return nil
}

// completedTo registers an endpoint at url receiving notification.completed
// and emits one such event ({"n": 1}) for it; it returns the endpoint and
// its secret.
func (f *fixture) completedTo(t *testing.T, d *Dispatcher, url string) (*Endpoint, string) {
	t.Helper()
	ctx := context.Background()
	e, secret, err := d.store.Create(ctx, f.appID, url, []string{NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{"n": 1}); err != nil {
		t.Fatal(err)
	}
	return e, secret
}
