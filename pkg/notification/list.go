package notification

import (
	"context"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
)

// Filter narrows the notification history; zero fields match everything.
type Filter struct {
	Status Status
	Since  time.Time // created at or after
}

// ParseStatus checks a status filter ("" for any).
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	if s == "" {
		return "", nil
	}
	return "", fault.Invalid("invalid_status", "status must be one of scheduled, queued, sending, completed or cancelled, not %q", s)
}

// List returns a page of the app's notifications, newest first, with their
// counts. Ids are UUIDv7, so id order is creation order and since becomes
// the smallest id of that millisecond: the page is read backwards on
// (app_id, id) or (app_id, status, id), and never past since.
func (s *Service) List(ctx context.Context, appID string, f Filter, p listing.Page) ([]Notification, string, error) {
	q := s.store.db.WithContext(ctx).Where("app_id = ?", appID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q = q.Where("id >= ?", database.IDFloor(f.Since))
	}
	page, next, err := listing.Keyset(q, p, listing.Order{Column: "id", Desc: true, ID: "a notification id"}, "notifications",
		func(n Notification) string { return n.ID })
	if err != nil {
		return nil, "", err
	}
	ptrs := make([]*Notification, len(page))
	for i := range page {
		ptrs[i] = &page[i]
	}
	if err := s.store.LoadCounts(ctx, ptrs...); err != nil {
		return nil, "", err
	}
	return page, next, nil
}
