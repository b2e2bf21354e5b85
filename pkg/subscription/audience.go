package subscription

import (
	"context"
	"fmt"
)

// AudienceKind says how an audience picks subscriptions.
type AudienceKind string

// Kinds of audience, as notifications store them.
const (
	AudienceAll           AudienceKind = "all"
	AudienceUsers         AudienceKind = "user_ids"
	AudienceTopics        AudienceKind = "topics"
	AudienceSubscriptions AudienceKind = "subscription_ids"
)

// Audience is who a notification goes to: the app's active subscriptions,
// all of them or those matching Values (user ids, topics or subscription
// ids) by Kind.
type Audience struct {
	AppID  string
	Kind   AudienceKind
	Values []string
}

// AudiencePage returns up to limit ids of the audience's active
// subscriptions after the id after ("" for the first page), in id order:
// keyset pagination, so each page costs an index range scan whatever the
// audience size.
func (s *Store) AudiencePage(ctx context.Context, a Audience, after string, limit int) ([]string, error) {
	q := s.db.WithContext(ctx).Table("subscriptions s").Select("s.id").
		Where("s.app_id = ? AND s.status = ?", a.AppID, Active).Order("s.id").Limit(limit)
	if after != "" {
		q = q.Where("s.id > ?", after)
	}
	switch a.Kind {
	case AudienceAll:
	case AudienceUsers:
		q = q.Where("s.user_id IN ?", a.Values)
	case AudienceSubscriptions:
		q = q.Where("s.id IN ?", a.Values)
	case AudienceTopics:
		q = q.Where("EXISTS (SELECT 1 FROM subscription_topics t WHERE t.subscription_id = s.id AND t.app_id = ? AND t.topic IN ?)", a.AppID, a.Values)
	default:
		return nil, fmt.Errorf("unknown audience kind %q", a.Kind)
	}
	var ids []string
	if err := q.Pluck("s.id", &ids).Error; err != nil {
		return nil, fmt.Errorf("audience page: %w", err)
	}
	return ids, nil
}
