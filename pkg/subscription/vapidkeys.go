package subscription

import (
	"context"
	"fmt"
)

// ActiveByVAPIDKey counts the active subscriptions made with each key
// (app.KeyHolders); keys none hold are left out.
func (s *Store) ActiveByVAPIDKey(ctx context.Context, keyIDs []string) (map[string]int64, error) {
	out := make(map[string]int64, len(keyIDs))
	if len(keyIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		VAPIDKeyID string `gorm:"column:vapid_key_id"`
		N          int64
	}
	if err := s.db.WithContext(ctx).Model(&Subscription{}).Select("vapid_key_id, COUNT(*) AS n").
		Where("vapid_key_id IN ? AND status = ?", keyIDs, Active).Group("vapid_key_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count subscriptions per VAPID key: %w", err)
	}
	for _, r := range rows {
		out[r.VAPIDKeyID] = r.N
	}
	return out, nil
}

// DeleteInactiveByVAPIDKey removes the gone and unsubscribed subscriptions
// made with a key (app.KeyHolders), before the key itself goes.
func (s *Store) DeleteInactiveByVAPIDKey(ctx context.Context, keyID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("vapid_key_id = ? AND status <> ?", keyID, Active).Delete(&Subscription{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete inactive subscriptions of a VAPID key: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// CountForApp counts the app's subscriptions of every status.
func (s *Store) CountForApp(ctx context.Context, appID string) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Subscription{}).Where("app_id = ?", appID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count subscriptions: %w", err)
	}
	return n, nil
}
