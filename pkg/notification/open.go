package notification

import (
	"context"
	"fmt"
	"time"
)

// What the reconciler (pkg/delivery) reads to find notifications whose
// work was lost with Redis: the open ones, a page at a time by an index
// that holds only them, and when each last moved.

// OpenStatuses are the statuses of notifications with work still to do.
var OpenStatuses = []Status{Scheduled, Queued, Sending}

// Open returns up to limit open notifications with ids after after, in id
// order, through the notifications_open index: a pass costs the open
// notifications it reads, never the whole table.
func (s *Store) Open(ctx context.Context, after string, limit int) ([]Notification, error) {
	var out []Notification
	q := s.db.WithContext(ctx).Where("status IN ?", OpenStatuses)
	if after != "" {
		q = q.Where("id > ?", after)
	}
	if err := q.Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("open notifications: %w", err)
	}
	return out, nil
}

// ProgressAt returns, for each of ns, when it last moved: its own row
// (accepted, a fan-out page) or an outcome counted for it, whichever is
// later.
func (s *Store) ProgressAt(ctx context.Context, ns []Notification) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(ns))
	if len(ns) == 0 {
		return out, nil
	}
	ids := make([]string, len(ns))
	for i := range ns {
		ids[i] = ns[i].ID
		out[ns[i].ID] = ns[i].UpdatedAt
	}
	var rows []struct {
		NotificationID string
		UpdatedAt      *time.Time
	}
	err := s.db.WithContext(ctx).Table("notification_counts").Select("notification_id, MAX(updated_at) AS updated_at").
		Where("notification_id IN ?", ids).Group("notification_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("notification progress: %w", err)
	}
	for _, r := range rows {
		if r.UpdatedAt != nil && r.UpdatedAt.After(out[r.NotificationID]) {
			out[r.NotificationID] = *r.UpdatedAt
		}
	}
	return out, nil
}

// Retarget sets how many subscriptions the notification targets, after a
// repair recounted the part already fanned out, unless the fan-out moved
// or the count changed since the repair read them (false: read again).
func (s *Store) Retarget(ctx context.Context, n *Notification, targeted int64) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE notifications SET targeted = ?, updated_at = ?
		WHERE id = ? AND targeted = ? AND fanout_seq = ? AND status IN ?`,
		targeted, s.now(), n.ID, n.Targeted, n.FanoutSeq, OpenStatuses)
	if res.Error != nil {
		return false, fmt.Errorf("recount targeted: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}
