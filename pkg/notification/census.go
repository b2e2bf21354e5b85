package notification

import (
	"context"
	"fmt"
)

// CountByStatus counts the app's notifications by status (what deleting
// the app would take with it).
func (s *Service) CountByStatus(ctx context.Context, appID string) (map[Status]int64, error) {
	var rows []struct {
		Status Status
		N      int64
	}
	if err := s.store.db.WithContext(ctx).Model(&Notification{}).Select("status, COUNT(*) AS n").
		Where("app_id = ?", appID).Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	out := make(map[Status]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
