package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// ExpireBefore deletes the events of notifications made before the given
// time, a bounded batch at a time, and returns how many. Notification ids
// are UUIDv7, so that is a range of the primary key's first column; the
// notification keeps its counters.
func (s *Store) ExpireBefore(ctx context.Context, before time.Time, batch int) (int64, error) {
	floor := database.IDFloor(before)
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM notification_events WHERE (notification_id, kind, client_key) IN
			(SELECT notification_id, kind, client_key FROM notification_events WHERE notification_id < ? LIMIT ?)`, floor, limit)
		if res.Error != nil {
			return 0, fmt.Errorf("expire events: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}

// PurgeNotification deletes the notification's events, a bounded batch at
// a time, before the notification itself is deleted.
func (s *Store) PurgeNotification(ctx context.Context, notificationID string, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM notification_events WHERE notification_id = ? AND (kind, client_key) IN
			(SELECT kind, client_key FROM notification_events WHERE notification_id = ? LIMIT ?)`, notificationID, notificationID, limit)
		if res.Error != nil {
			return 0, fmt.Errorf("purge events: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
