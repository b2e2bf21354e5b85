package notification

import (
	"context"
	"fmt"

	"github.com/heraldpush/herald/pkg/database"
)

// ClaimCompletions returns up to limit completed notifications not yet
// announced, with their counts, locked until the transaction the Store
// runs in ends; on PostgreSQL rows another transaction holds are skipped,
// so several workers announce different ones. Run it inside the
// transaction that records the announcement and calls MarkAnnounced.
func (s *Store) ClaimCompletions(ctx context.Context, limit int) ([]*Notification, error) {
	q := `SELECT * FROM notifications WHERE NOT completion_announced AND status = ? ORDER BY completed_at LIMIT ?`
	if s.db.Dialect == database.Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	var ns []*Notification
	if err := s.db.WithContext(ctx).Raw(q, Completed, limit).Scan(&ns).Error; err != nil {
		return nil, fmt.Errorf("claim completions: %w", err)
	}
	if err := s.LoadCounts(ctx, ns...); err != nil {
		return nil, err
	}
	return ns, nil
}

// MarkAnnounced records that the completions of ids were announced.
func (s *Store) MarkAnnounced(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE notifications SET completion_announced = TRUE WHERE id IN ?`, ids).Error
	if err != nil {
		return fmt.Errorf("mark completions announced: %w", err)
	}
	return nil
}
