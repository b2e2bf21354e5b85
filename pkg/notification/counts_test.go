package notification_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// newSending stores a broadcast under way to targeted subscriptions.
func newSending(t *testing.T, db *database.DB, targeted int64, fanoutDone bool) *notification.Notification {
	t.Helper()
	key, _, _ := masterkey.Generate()
	created, err := app.NewStore(db, key).Create(context.Background(), app.CreateInput{Name: "counts"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	n := &notification.Notification{ID: uuid.Must(uuid.NewV7()).String(), AppID: created.App.ID, Status: notification.Sending,
		TargetKind: notification.TargetAll, TargetValues: "[]", Payload: "{}", TTL: 60, Priority: notification.Bulk,
		Targeted: targeted, FanoutDone: fanoutDone, CreatedAt: now, UpdatedAt: now}
	if err := db.Create(n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func add(t *testing.T, db *database.DB, id string, shard int, c notification.Counts) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *database.DB) error {
		return notification.NewStore(db).WithTx(tx).AddCounts(ctx, id, shard, c)
	}); err != nil {
		t.Fatal(err)
	}
}

func status(t *testing.T, db *database.DB, id string) notification.Status {
	t.Helper()
	var s notification.Status
	if err := db.Raw("SELECT status FROM notifications WHERE id = ?", id).Scan(&s).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCountsSumOverShards(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		n := newSending(t, db, 10, false)
		empty := newSending(t, db, 3, false)
		add(t, db, n.ID, 1, notification.Counts{Delivered: 4, Dead: 2})
		add(t, db, n.ID, 1+notification.CountShards, notification.Counts{Delivered: 1}) // the same shard
		add(t, db, n.ID, 7, notification.Counts{Gone: 3})
		add(t, db, n.ID, 0, notification.Counts{Dead: -1}) // a dead letter sent again
		if err := notification.NewStore(db).LoadCounts(ctx, n, empty); err != nil {
			t.Fatal(err)
		}
		if n.Delivered != 5 || n.Gone != 3 || n.Dead != 1 || n.Pending() != 1 {
			t.Fatalf("counts: delivered=%d gone=%d dead=%d pending=%d; want 5 3 1 1", n.Delivered, n.Gone, n.Dead, n.Pending())
		}
		if empty.Delivered+empty.Gone+empty.Dead != 0 || empty.Pending() != 3 {
			t.Fatalf("a notification with no outcomes: %+v", empty)
		}
		var rows int64
		db.Raw("SELECT COUNT(*) FROM notification_counts WHERE notification_id = ?", n.ID).Scan(&rows)
		if rows != 3 {
			t.Fatalf("%d shard rows, want 3", rows)
		}
	})
}

func TestCompleteIfDone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		n := newSending(t, db, 4, false)
		add(t, db, n.ID, 0, notification.Counts{Delivered: 3, Gone: 1})
		if done, err := notification.NewStore(db).CompleteIfDone(ctx, n.ID); err != nil || done {
			t.Fatalf("completed before the fan-out ended: %v %v", done, err)
		}
		db.Exec("UPDATE notifications SET fanout_done = TRUE, targeted = 5 WHERE id = ?", n.ID)
		if done, err := notification.NewStore(db).CompleteIfDone(ctx, n.ID); err != nil || done {
			t.Fatalf("completed with one pending: %v %v", done, err)
		}
		add(t, db, n.ID, 3, notification.Counts{Dead: 1})
		if done, err := notification.NewStore(db).CompleteIfDone(ctx, n.ID); err != nil || !done {
			t.Fatalf("not completed with nothing pending: %v %v", done, err)
		}
		if done, _ := notification.NewStore(db).CompleteIfDone(ctx, n.ID); done {
			t.Fatal("completed twice")
		}
		if s := status(t, db, n.ID); s != notification.Completed {
			t.Fatalf("status %s", s)
		}

		cancelled := newSending(t, db, 1, true)
		db.Exec("UPDATE notifications SET status = 'cancelled' WHERE id = ?", cancelled.ID)
		add(t, db, cancelled.ID, 0, notification.Counts{Delivered: 1})
		if done, _ := notification.NewStore(db).CompleteIfDone(ctx, cancelled.ID); done {
			t.Fatal("a cancelled notification was completed")
		}
	})
}

// Outcome writers that each commit and then check: exactly when the last of
// them is done, the notification is complete, with no sweep needed.
func TestCompleteIfDoneAfterConcurrentWriters(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	for round := range 5 {
		const writers, each = 12, 5
		n := newSending(t, db, writers*each, false)
		var wg sync.WaitGroup
		for w := range writers + 1 {
			wg.Go(func() {
				if w == writers { // the fan-out's end races the last outcomes
					db.Exec("UPDATE notifications SET fanout_done = TRUE WHERE id = ?", n.ID)
				} else {
					for range each {
						add(t, db, n.ID, w, notification.Counts{Delivered: 1})
					}
				}
				if _, err := notification.NewStore(db).CompleteIfDone(ctx, n.ID); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if s := status(t, db, n.ID); s != notification.Completed {
			t.Fatalf("round %d: status %s after every writer checked", round, s)
		}
	}
}

func TestCompleteStalled(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		stalled := newSending(t, db, 2, true)
		pending := newSending(t, db, 2, true)
		add(t, db, stalled.ID, 0, notification.Counts{Delivered: 2}) // its writer died before checking
		add(t, db, pending.ID, 0, notification.Counts{Delivered: 1})
		if n, err := notification.NewStore(db).CompleteStalled(ctx); err != nil || n != 1 {
			t.Fatalf("CompleteStalled = %d, %v; want 1", n, err)
		}
		if status(t, db, stalled.ID) != notification.Completed || status(t, db, pending.ID) != notification.Sending {
			t.Fatal("wrong notification completed")
		}
	})
}
