package subscription

import (
	"context"
	"fmt"
	"slices"

	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
)

// Filter narrows a listing; empty fields match everything.
type Filter struct {
	UserID string
	Topic  string
	Status Status
}

// ParseStatus checks a status filter ("" for any).
func ParseStatus(s string) (Status, error) {
	if s != "" && !slices.Contains(Statuses, Status(s)) {
		return "", fault.Invalid("invalid_status", "status must be one of %v, not %q", Statuses, s)
	}
	return Status(s), nil
}

// List returns a page of the app's subscriptions matching f, with their
// topics, in id order (ids are UUIDv7: creation order). Each filter has an
// index that yields rows in that order: (app_id, id), (app_id, status, id),
// (app_id, user_id, id) and subscription_topics (app_id, topic,
// subscription_id); a listing reads a page, never the table.
func (s *Store) List(ctx context.Context, appID string, f Filter, p listing.Page) ([]Subscription, string, error) {
	q := s.db.WithContext(ctx).Model(&Subscription{}).Where("subscriptions.app_id = ?", appID)
	if f.Topic != "" {
		q = q.Joins("JOIN subscription_topics t ON t.subscription_id = subscriptions.id AND t.app_id = ? AND t.topic = ?", appID, f.Topic)
	}
	if f.UserID != "" {
		q = q.Where("subscriptions.user_id = ?", f.UserID)
	}
	if f.Status != "" {
		q = q.Where("subscriptions.status = ?", f.Status)
	}
	page, next, err := listing.Keyset(q.Select("subscriptions.*"), p, listing.Order{Column: "subscriptions.id", ID: "a subscription id"}, "subscriptions",
		func(r Subscription) string { return r.ID })
	if err != nil {
		return nil, "", err
	}
	if err := s.loadTopics(ctx, page); err != nil {
		return nil, "", err
	}
	return page, next, nil
}

// loadTopics fills the Topics of subs in one query.
func (s *Store) loadTopics(ctx context.Context, subs []Subscription) error {
	if len(subs) == 0 {
		return nil
	}
	ids := make([]string, len(subs))
	at := make(map[string]int, len(subs))
	for i := range subs {
		ids[i], at[subs[i].ID] = subs[i].ID, i
		subs[i].Topics = []string{}
	}
	var rows []topicRow
	// Unordered: a page's topics are few, and sorting them here keeps the
	// query an index lookup.
	if err := s.db.WithContext(ctx).Where("subscription_id IN ?", ids).Find(&rows).Error; err != nil {
		return fmt.Errorf("load topics: %w", err)
	}
	for _, r := range rows {
		i := at[r.SubscriptionID]
		subs[i].Topics = append(subs[i].Topics, r.Topic)
	}
	for i := range subs {
		slices.Sort(subs[i].Topics)
	}
	return nil
}
