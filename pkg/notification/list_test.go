package notification_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/listing"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// The history lists newest first, pages with the cursor, filters by status
// and since, carries counts, and reads an index in its order (no scan of
// the table, no sort).
func TestHistoryPagesNewestFirstOnIndexes(t *testing.T) {
	t.Parallel()
	rec := dbtest.Record(dbtest.Postgres(t))
	first := newSending(t, rec.DB, 3, true)
	add(t, rec.DB, first.ID, 0, notification.Counts{Delivered: 2, Gone: 1})
	var ids []string
	for range 4 {
		n := newSending(t, rec.DB, 1, false)
		n.AppID = first.AppID
		if err := rec.Model(n).Update("app_id", first.AppID).Error; err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	if err := rec.Model(&notification.Notification{}).Where("id = ?", ids[1]).Update("status", notification.Completed).Error; err != nil {
		t.Fatal(err)
	}
	svc := notification.NewService(rec.DB, nil, nil, testkit.Logger(t))
	ctx := context.Background()
	rec.Take()

	page, next, err := svc.List(ctx, first.AppID, notification.Filter{}, listing.Page{Limit: 3})
	if err != nil || len(page) != 3 || page[0].ID != ids[3] || page[2].ID != ids[1] || next != ids[1] {
		t.Fatalf("first page: %d %q %v", len(page), next, err)
	}
	rec.AssertNoTableScan(t, "history", rec.Take())
	page, next, err = svc.List(ctx, first.AppID, notification.Filter{}, listing.Page{Limit: 3, After: next})
	if err != nil || len(page) != 2 || page[1].ID != first.ID || next != "" || page[1].Delivered != 2 || page[1].Gone != 1 {
		t.Fatalf("last page: %+v %q %v", page, next, err)
	}
	rec.AssertNoTableScan(t, "history after a cursor", rec.Take())
	page, _, err = svc.List(ctx, first.AppID, notification.Filter{Status: notification.Completed}, listing.Page{Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != ids[1] {
		t.Fatalf("by status: %+v %v", page, err)
	}
	rec.AssertNoTableScan(t, "history by status", rec.Take())
	page, _, err = svc.List(ctx, first.AppID, notification.Filter{Since: time.Now().Add(time.Hour)}, listing.Page{Limit: 10})
	if err != nil || len(page) != 0 {
		t.Fatalf("since the future: %+v %v", page, err)
	}
	page, _, err = svc.List(ctx, first.AppID, notification.Filter{Since: first.CreatedAt.Add(-time.Second), Status: notification.Sending}, listing.Page{Limit: 10})
	if err != nil || len(page) != 4 {
		t.Fatalf("since and status: %d %v", len(page), err)
	}
	rec.AssertNoTableScan(t, "history since, by status", rec.Take())
}
