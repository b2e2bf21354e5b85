package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/listing"
)

// Change is what PATCH /v1/subscriptions/{id} changes; nil fields stay.
type Change struct {
	Topics    *[]string
	UserID    *string // "" with ClearUser false is refused
	ClearUser bool    // the subscription no longer belongs to a user
	Timezone  *string // "" clears
	// Attributes is merged into the stored ones (AttributesPatch).
	Attributes AttributesPatch
}

// Change applies ch to one of the app's subscriptions and returns it.
func (s *Store) Change(ctx context.Context, appID, id string, ch Change) (*Subscription, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	set := map[string]any{"updated_at": time.Now().UTC()}
	switch {
	case ch.ClearUser:
		set["user_id"] = nil
	case ch.UserID != nil:
		if err := ValidateUserID(*ch.UserID); err != nil {
			return nil, err
		}
		set["user_id"] = *ch.UserID
	}
	if ch.Timezone != nil {
		if err := ValidateTimezone(*ch.Timezone); err != nil {
			return nil, err
		}
		set["timezone"] = *ch.Timezone
	}
	var topics []string
	if ch.Topics != nil {
		var err error
		if topics, err = ValidateTopics(*ch.Topics); err != nil {
			return nil, err
		}
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if !ch.Attributes.Empty() {
			attrs, err := s.patchedAttributes(tx, `SELECT attributes FROM subscriptions WHERE id = ? AND app_id = ?`, ch.Attributes, id, appID)
			if err != nil {
				return err
			}
			set["attributes"] = attrs
		}
		res := tx.Model(&Subscription{}).Where("id = ? AND app_id = ?", id, appID).Updates(set)
		if res.Error != nil {
			return fmt.Errorf("change subscription: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if ch.Topics == nil {
			return nil
		}
		return replaceTopics(tx, appID, id, topics)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, appID, id)
}

// patchedAttributes reads the attributes query finds (locking its row on
// PostgreSQL, so two patches at once each see the other's keys; SQLite
// has one writer) and returns them patched by p, validated. A row the
// query does not find is ErrNotFound.
func (s *Store) patchedAttributes(tx *gorm.DB, query string, p AttributesPatch, args ...any) (string, error) {
	if s.db.Dialect == database.Postgres {
		query += " FOR UPDATE"
	}
	var stored []string
	if err := tx.Raw(query, args...).Scan(&stored).Error; err != nil {
		return "", fmt.Errorf("load attributes: %w", err)
	}
	if len(stored) == 0 {
		return "", ErrNotFound
	}
	return p.apply(stored[0])
}

// ErrNoTopicChange refuses a user topics change that names no topic.
var ErrNoTopicChange = fault.Invalid("invalid_topics", "name topics to add, to remove, or both")

// ChangeUserTopics adds and removes topics on every subscription of the
// user, in one transaction, and returns how many subscriptions the user
// has. A subscription may not end up with more than MaxTopics.
func (s *Store) ChangeUserTopics(ctx context.Context, appID, userID string, add, remove []string) (int64, error) {
	if err := ValidateUserID(userID); err != nil {
		return 0, err
	}
	add, err := ValidateTopics(add)
	if err != nil {
		return 0, err
	}
	if remove, err = ValidateTopics(remove); err != nil {
		return 0, err
	}
	if len(add)+len(remove) == 0 {
		return 0, ErrNoTopicChange
	}
	for _, t := range remove {
		for _, a := range add {
			if a == t {
				return 0, fault.Invalid("invalid_topics", "topic %q is both added and removed", t)
			}
		}
	}
	var ids []string
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Subscription{}).Where("app_id = ? AND user_id = ?", appID, userID).Order("id").
			Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("user's subscriptions: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if len(remove) > 0 {
			if err := tx.Where("subscription_id IN ? AND topic IN ?", ids, remove).Delete(&topicRow{}).Error; err != nil {
				return fmt.Errorf("remove topics: %w", err)
			}
		}
		if len(add) == 0 {
			return nil
		}
		rows := make([]topicRow, 0, len(ids)*len(add))
		for _, id := range ids {
			for _, t := range add {
				rows = append(rows, topicRow{SubscriptionID: id, AppID: appID, Topic: t})
			}
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("add topics: %w", err)
		}
		var over []string
		if err := tx.Model(&topicRow{}).Where("subscription_id IN ?", ids).Group("subscription_id").
			Having("COUNT(*) > ?", MaxTopics).Limit(1).Pluck("subscription_id", &over).Error; err != nil {
			return fmt.Errorf("count topics: %w", err)
		}
		if len(over) > 0 {
			return fault.Invalid("invalid_topics", "subscription %s would have more than %d topics; remove some first", over[0], MaxTopics)
		}
		return nil
	})
	return int64(len(ids)), err
}

// TopicCount is a topic and how many active subscriptions follow it.
type TopicCount struct {
	Topic  string
	Active int64
}

// TopicCounts returns a page of the app's topics that active subscriptions
// follow, in name order, with their counts. It reads subscription_topics
// in (app_id, topic) order and each row's subscription by its key, so a
// page costs the subscriptions of its topics; callers cache it.
func (s *Store) TopicCounts(ctx context.Context, appID string, p listing.Page) ([]TopicCount, string, error) {
	q := s.db.WithContext(ctx).Model(&topicRow{}).
		Select("subscription_topics.topic AS topic, COUNT(*) AS active").
		Joins("JOIN subscriptions s ON s.id = subscription_topics.subscription_id AND s.status = ?", Active).
		Where("subscription_topics.app_id = ?", appID)
	return listing.Keyset(q.Group("subscription_topics.topic"), p, listing.Order{Column: "subscription_topics.topic"}, "topic counts",
		func(t TopicCount) string { return t.Topic })
}
