package delivery

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
)

// audiencePage returns up to limit active subscription ids of the
// notification's target after cursor, in id order: keyset pagination, so each
// page costs an index range scan whatever the audience size.
func audiencePage(ctx context.Context, db *database.DB, n *notification.Notification, after string, limit int) ([]string, error) {
	var values []string
	if err := json.Unmarshal([]byte(n.TargetValues), &values); err != nil {
		return nil, fmt.Errorf("notification %s target: %w", n.ID, err)
	}
	q := db.WithContext(ctx).Table("subscriptions s").Select("s.id").
		Where("s.app_id = ? AND s.status = 'active'", n.AppID).Order("s.id").Limit(limit)
	if after != "" {
		q = q.Where("s.id > ?", after)
	}
	switch n.TargetKind {
	case notification.TargetAll:
	case notification.TargetUsers:
		q = q.Where("s.user_id IN ?", values)
	case notification.TargetSubscriptions:
		q = q.Where("s.id IN ?", values)
	case notification.TargetTopics:
		q = q.Where("EXISTS (SELECT 1 FROM subscription_topics t WHERE t.subscription_id = s.id AND t.app_id = ? AND t.topic IN ?)", n.AppID, values)
	default:
		return nil, fmt.Errorf("notification %s: unknown target kind %q", n.ID, n.TargetKind)
	}
	var ids []string
	if err := q.Pluck("s.id", &ids).Error; err != nil {
		return nil, fmt.Errorf("audience page: %w", err)
	}
	return ids, nil
}
