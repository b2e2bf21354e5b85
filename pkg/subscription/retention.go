package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// ExpireGone deletes subscriptions that have been gone (the push service
// answered 404/410) since before the given time, a bounded batch at a time
// (their topics go with them), and returns how many. Deliveries and dead
// letters keep their subscription ids; a dead letter sent again to one
// deleted here ends gone.
func (s *Store) ExpireGone(ctx context.Context, before time.Time, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		res := s.db.WithContext(ctx).Exec(`DELETE FROM subscriptions WHERE id IN
			(SELECT id FROM subscriptions WHERE status = ? AND updated_at < ? LIMIT ?)`, Gone, before.UTC(), limit)
		if res.Error != nil {
			return 0, fmt.Errorf("expire gone subscriptions: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
