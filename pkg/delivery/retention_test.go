package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/retention"
	"github.com/heraldpush/herald/pkg/testkit"
)

// A batch run again after a retention pass sends nothing while its
// notification settled within the de-duplication window, even with the
// clock past every retention period; once the window has passed the rows
// go (and a batch run then would send again: what the window is for).
func TestRetriedBatchAfterRetentionSendsNothingWithinTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	ids := f.addSubscriptions(t, 20, 0)
	n, batch := f.batchTo(t, ids)
	push := &pushService{}
	d := f.boundedDeliverer(push, 4)
	if err := d.DeliverBatch(ctx, batch, n.Priority); err != nil {
		t.Fatal(err)
	}
	clock := time.Now().Add(100 * retention.Day) // past every retention period
	settle := func(at time.Time) {
		if err := f.db.Exec("UPDATE notifications SET status = 'completed', completed_at = ?, updated_at = ? WHERE id = ?",
			at.UTC(), at.UTC(), n.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	settings := retention.Defaults
	settings.Notifications = 0 // keep the notification: this is about its deliveries
	e := retention.New(retention.Config{DB: f.db, Settings: settings, Now: func() time.Time { return clock }, Log: testkit.Logger(t)})

	settle(clock.Add(-23 * time.Hour)) // within the day a re-run may still come
	if _, err := e.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.DeliverBatch(ctx, batch, n.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.sent.Load(); got != 20 {
		t.Fatalf("the batch run again after retention sent %d messages twice", got-20)
	}

	settle(clock.Add(-25 * time.Hour))
	rep, err := e.Once(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left int64
	f.db.Table("deliveries").Where("notification_id = ?", n.ID).Count(&left)
	if left != 0 || rep.DeliveryPartitions+int(rep.Deliveries) == 0 {
		t.Fatalf("past the window: %d deliveries left, report %+v", left, rep)
	}
}
