package notification

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// settledStatuses are the statuses no batch sends for: a notification in
// one is done unless a dead letter sent again reopens it.
var settledStatuses = []Status{Completed, Cancelled}

// minID is below every id (PostgreSQL compares a UUID column only with UUIDs).
const minID = "00000000-0000-0000-0000-000000000000"

// settledAt is when a settled notification settled.
const settledAt = "COALESCE(completed_at, updated_at)"

// Settled returns up to limit ids, in order, after the id after ("" for
// the first page), of notifications of appID ("": of every app) made
// before madeBefore that settled (completed or cancelled) before
// settledBefore: the ones whose data may expire. Ids are UUIDv7, so "made
// before" is a range of the primary key (or of notifications_app's).
func (s *Store) Settled(ctx context.Context, appID string, madeBefore, settledBefore time.Time, after string, limit int) ([]string, error) {
	if after == "" {
		after = minID
	}
	q := s.db.WithContext(ctx).Model(&Notification{}).
		Where("id > ? AND id < ? AND status IN ? AND "+settledAt+" < ?", after, database.IDFloor(madeBefore), settledStatuses, settledBefore.UTC())
	if appID != "" {
		q = q.Where("app_id = ?", appID)
	}
	var ids []string
	err := q.Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("settled notifications: %w", err)
	}
	return ids, nil
}

// SettledAmong returns which of ids are notifications that settled before
// settledBefore, or no longer exist.
func (s *Store) SettledAmong(ctx context.Context, ids []string, settledBefore time.Time) (map[string]bool, error) {
	var unsettled []string
	err := s.db.WithContext(ctx).Model(&Notification{}).
		Where("id IN ? AND (status NOT IN ? OR "+settledAt+" >= ?)", ids, settledStatuses, settledBefore.UTC()).
		Pluck("id", &unsettled).Error
	if err != nil {
		return nil, fmt.Errorf("settled notifications: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	for _, id := range unsettled {
		delete(out, id)
	}
	return out, nil
}

// AnyUnsettled reports whether a notification made in [from, to) has not
// settled, or settled at or after settledBefore: while one has, the data a
// re-run batch checks (its recorded deliveries) must stay. A zero from
// means since ever. Ids are UUIDv7, so this is a primary-key range.
func (s *Store) AnyUnsettled(ctx context.Context, from, to, settledBefore time.Time) (bool, error) {
	q := s.db.WithContext(ctx).Model(&Notification{}).
		Where("id < ? AND (status NOT IN ? OR "+settledAt+" >= ?)", database.IDFloor(to), settledStatuses, settledBefore.UTC())
	if !from.IsZero() {
		q = q.Where("id >= ?", database.IDFloor(from))
	}
	var ids []string
	if err := q.Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("unsettled notifications: %w", err)
	}
	return len(ids) > 0, nil
}

// Delete deletes the notifications with ids and their counts. Their
// deliveries, events and dead letters go first, through their owners, a
// bounded batch at a time: the cascade then has nothing left to do.
func (s *Store) Delete(ctx context.Context, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Where("id IN ?", ids).Delete(&Notification{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete notifications: %w", res.Error)
	}
	return res.RowsAffected, nil
}
