package notification

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Engagement is one of the counters service workers' reports move
// (pkg/engagement records the reports themselves).
type Engagement string

const (
	EngagementReceived  Engagement = "received"
	EngagementClicked   Engagement = "clicked"
	EngagementDismissed Engagement = "dismissed"
)

// AppOf returns the app a notification belongs to.
func (s *Store) AppOf(ctx context.Context, id string) (string, error) {
	var n struct{ AppID string }
	err := s.db.WithContext(ctx).Model(&Notification{}).Select("app_id").Where("id = ?", id).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("load notification: %w", err)
	}
	return n.AppID, nil
}

// AddEngagement counts one report of kind e for the notification, and for
// the variant subscriptionID got when it has variants.
func (s *Store) AddEngagement(ctx context.Context, id, subscriptionID string, e Engagement) error {
	switch e {
	case EngagementReceived, EngagementClicked, EngagementDismissed: // column names: never anything else
	default:
		return fmt.Errorf("unknown engagement counter %q", e)
	}
	column := string(e)
	if err := s.db.WithContext(ctx).Model(&Notification{}).Where("id = ?", id).
		Update(column, gorm.Expr(column+" + 1")).Error; err != nil {
		return fmt.Errorf("count %s: %w", e, err)
	}
	return s.addVariantEngagement(ctx, id, subscriptionID, e)
}
