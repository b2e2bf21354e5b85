package notification

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// CountByStatus counts every app's notifications by status; every status
// is present.
func (s *Store) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	var rows []struct {
		Status Status
		N      int64
	}
	if err := s.db.WithContext(ctx).Model(&Notification{}).Select("status, COUNT(*) AS n").
		Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	out := make(map[Status]int64, len(Statuses))
	for _, st := range Statuses {
		out[st] = 0
	}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// InProgress returns up to limit of the newest queued or sending
// notifications created since the given time, of appID (every app when
// appID is ""), with their counts. Ids are UUIDv7, so the time bound is a
// primary-key range and the query never reads old rows.
func (s *Store) InProgress(ctx context.Context, appID string, since time.Time, limit int) ([]*Notification, error) {
	q := s.db.WithContext(ctx).Model(&Notification{}).
		Select("id, app_id, status, targeted, created_at").
		Where("id >= ? AND status IN ?", database.IDFloor(since), []Status{Queued, Sending}).
		Order("id DESC").Limit(limit)
	if appID != "" {
		q = q.Where("app_id = ?", appID)
	}
	var rows []*Notification
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("notifications in progress: %w", err)
	}
	if err := s.LoadCounts(ctx, rows...); err != nil {
		return nil, err
	}
	return rows, nil
}

// Recent returns the limit newest notifications of every app with their
// counts, newest first (by the primary key: ids are UUIDv7).
func (s *Store) Recent(ctx context.Context, limit int) ([]*Notification, error) {
	var rows []*Notification
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("recent notifications: %w", err)
	}
	if err := s.LoadCounts(ctx, rows...); err != nil {
		return nil, err
	}
	return rows, nil
}
