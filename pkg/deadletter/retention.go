package deadletter

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
)

// ExpireBefore deletes the dead letters of appID ("": of every app) made
// before the given time, a bounded batch at a time, and returns how many.
// Ids are UUIDv7, so "made before" is a range of the primary key (or of
// dead_letters_app's).
func (s *Store) ExpireBefore(ctx context.Context, appID string, before time.Time, batch int) (int64, error) {
	floor := database.IDFloor(before)
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		var res *gorm.DB
		if appID == "" {
			res = s.db.WithContext(ctx).Exec(`DELETE FROM dead_letters WHERE id IN
				(SELECT id FROM dead_letters WHERE id < ? ORDER BY id LIMIT ?)`, floor, limit)
		} else {
			res = s.db.WithContext(ctx).Exec(`DELETE FROM dead_letters WHERE id IN
				(SELECT id FROM dead_letters WHERE app_id = ? AND id < ? ORDER BY id LIMIT ?)`, appID, floor, limit)
		}
		if res.Error != nil {
			return 0, fmt.Errorf("expire dead letters: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}

// PurgeNotification deletes the notification's dead letters, a bounded
// batch at a time, before the notification itself is deleted.
func (s *Store) PurgeNotification(ctx context.Context, notificationID string, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM dead_letters WHERE id IN
			(SELECT id FROM dead_letters WHERE notification_id = ? LIMIT ?)`, notificationID, limit)
		if res.Error != nil {
			return 0, fmt.Errorf("purge dead letters: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
