package webhook

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// messageRetentionWorld stores, for one endpoint, messages in each state
// and returns the ids the retention must keep and those it must remove
// with a cutoff of now-30 days.
func messageRetentionWorld(t *testing.T, db *database.DB) (keep, remove []string) {
	t.Helper()
	f, _, d, _ := hooked(t, db, NotificationCompleted)
	ctx := context.Background()
	endpoints, _, err := d.store.List(ctx, f.appID, pageOf(1))
	if err != nil || len(endpoints) != 1 {
		t.Fatalf("endpoints %v %v", endpoints, err)
	}
	now := time.Now().UTC()
	old, recent := now.Add(-40*24*time.Hour), now.Add(-time.Hour)
	add := func(status string, created time.Time, finished *time.Time, handedOver bool) string {
		m := &Message{ID: uuid.Must(uuid.NewV7()).String(), AppID: f.appID, EndpointID: endpoints[0].ID, EventType: NotificationCompleted,
			Payload: "{}", Status: status, NextAttemptAt: created, RetryUntil: created.Add(RetryWindow), CreatedAt: created, FinishedAt: finished}
		if handedOver {
			m.HandedOverAt = &created
		}
		if err := db.Create(m).Error; err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	for range 3 { // more than a batch of 2
		remove = append(remove, add(Delivered, old, &old, true), add(Failed, old, &old, true))
	}
	keep = append(keep,
		add(Delivered, old, &recent, true),    // made long ago, re-sent and delivered recently
		add(Failed, recent, &recent, true),    // failed recently
		add(Pending, old, nil, false),         // never handed over (the relay's)
		add(Pending, old, nil, true),          // handed over, waiting for its retry
		add(Delivered, recent, &recent, true), // delivered recently
	)
	return keep, remove
}

// Retention removes delivered and failed messages that finished over the
// period before, in batches, and keeps recent ones and every pending one
// however old, handed over to the job queue or not.
func TestMessageRetentionRemovesOnlyOldFinishedMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		keep, remove := messageRetentionWorld(t, db)
		n, err := NewMessageRetention(db).ExpireBefore(context.Background(), time.Now().Add(-30*24*time.Hour), 2)
		if err != nil || n != int64(len(remove)) {
			t.Fatalf("removed %d (%v), want %d", n, err, len(remove))
		}
		var left []string
		if err := db.Model(&Message{}).Pluck("id", &left).Error; err != nil {
			t.Fatal(err)
		}
		slices.Sort(left)
		slices.Sort(keep)
		if !slices.Equal(left, keep) {
			t.Fatalf("left %v, want %v", left, keep)
		}
	})
}

// The retention's page of finished messages reads its index, not the
// whole table of messages.
func TestMessageRetentionReadsItsIndex(t *testing.T) {
	t.Parallel()
	rec := dbtest.Record(dbtest.Postgres(t))
	messageRetentionWorld(t, rec.DB)
	rec.Take()
	if _, err := NewMessageRetention(rec.DB).ExpireBefore(context.Background(), time.Now().Add(-30*24*time.Hour), 2); err != nil {
		t.Fatal(err)
	}
	rec.AssertNoTableScan(t, "message retention", rec.Take())
}
