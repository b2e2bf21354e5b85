package delivery_test

import (
	"context"
	"testing"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

type nopEnqueuer struct{}

func (nopEnqueuer) EnqueueFanout(context.Context, *notification.Notification) error { return nil }

// A fan-out that crashed after queuing batches but before recording its
// cursor resumes from the recorded cursor and queues no batch twice: every
// active subscription lands in exactly one batch of at most BatchSize.
func TestFanoutResumesWithoutDuplicateBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := setup(t)
	db := fx.db
	const total, inactive, size = 1234, 34, 100
	fx.addSubscriptions(t, total, inactive)
	n, _, err := notification.NewService(db, nopEnqueuer{}, nil, testkit.Logger(t)).Create(ctx, fx.appID, "",
		notification.Request{Target: notification.Target{All: true}, Notification: notification.Content{Title: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	f := delivery.NewFanout(db, fx.jobs, testkit.Logger(t), size)
	if err := f.Run(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	// Crash simulation: the cursor updates after batch 5 never committed.
	var cursor string
	db.Raw("SELECT id FROM subscriptions WHERE status = 'active' ORDER BY id OFFSET 499 LIMIT 1").Scan(&cursor)
	db.Exec("UPDATE notifications SET fanout_seq = 5, fanout_cursor = ?, targeted = 500, fanout_done = FALSE, status = 'sending' WHERE id = ?", cursor, n.ID)
	if err := f.Run(ctx, n.ID); err != nil {
		t.Fatal(err)
	}

	tasks, err := jobqueue.NewInspector(fx.rdb).Pending(jobqueue.QueueFor(n.Priority), 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ti := range tasks {
		b, err := jobqueue.DecodeBatch(ti.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.SubscriptionIDs) > size {
			t.Fatalf("batch of %d", len(b.SubscriptionIDs))
		}
		for _, id := range b.SubscriptionIDs {
			seen[id]++
		}
	}
	if want := (total - inactive + size - 1) / size; len(tasks) != want {
		t.Fatalf("%d batches queued, want %d", len(tasks), want)
	}
	if len(seen) != total-inactive {
		t.Fatalf("%d subscriptions batched, want %d", len(seen), total-inactive)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("subscription %s in %d batches", id, c)
		}
	}
	var got notification.Notification
	db.Where("id = ?", n.ID).Take(&got)
	if got.Targeted != total-inactive || !got.FanoutDone || got.FanoutSeq != len(tasks) {
		t.Fatalf("targeted=%d done=%v seq=%d", got.Targeted, got.FanoutDone, got.FanoutSeq)
	}
}
