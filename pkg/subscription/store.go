package subscription

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
)

// ErrNotFound is returned for an unknown subscription id (or another app's).
var ErrNotFound = fault.NotFound("subscription_not_found", "no subscription with this id")

// Store reads and writes subscriptions.
type Store struct{ db *database.DB }

// NewStore returns a Store over db.
func NewStore(db *database.DB) *Store { return &Store{db: db} }

// Upsert stores a subscription, or updates the one with the same endpoint in
// the app (a browser re-subscribing). created is false for an update.
func (s *Store) Upsert(ctx context.Context, appID, vapidKeyID string, v *Valid) (id string, created bool, err error) {
	now := time.Now().UTC()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		newID := uuid.Must(uuid.NewV7()).String()
		row := Subscription{
			ID: newID, AppID: appID, VAPIDKeyID: vapidKeyID,
			Endpoint: v.Endpoint, P256dh: v.P256dh, Auth: v.Auth, UserID: v.UserID,
			Timezone: v.Timezone, UserAgent: v.UserAgent, Status: Active,
			ExpirationTime: v.ExpirationTime, CreatedAt: now, UpdatedAt: now,
		}
		// Insert, or on the (app_id, endpoint) conflict update in place; the
		// returned id tells which happened without a racy read first.
		res := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "app_id"}, {Name: "endpoint"}},
			DoUpdates: clause.Assignments(map[string]any{
				"vapid_key_id": vapidKeyID, "p256dh": v.P256dh, "auth": v.Auth,
				"user_id": v.UserID, "timezone": v.Timezone, "user_agent": v.UserAgent,
				"status": Active, "consecutive_failures": 0,
				"expiration_time": v.ExpirationTime, "updated_at": now,
			}),
		}, clause.Returning{Columns: []clause.Column{{Name: "id"}}}).Create(&row)
		if res.Error != nil {
			return fmt.Errorf("upsert subscription: %w", res.Error)
		}
		id, created = row.ID, row.ID == newID
		return replaceTopics(tx, appID, id, v.Topics)
	})
	return id, created, err
}

func replaceTopics(tx *gorm.DB, appID, id string, topics []string) error {
	if err := tx.Where("subscription_id = ?", id).Delete(&topicRow{}).Error; err != nil {
		return fmt.Errorf("clear topics: %w", err)
	}
	if len(topics) == 0 {
		return nil
	}
	rows := make([]topicRow, len(topics))
	for i, t := range topics {
		rows[i] = topicRow{SubscriptionID: id, AppID: appID, Topic: t}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store topics: %w", err)
	}
	return nil
}

// Get returns one of the app's subscriptions with its topics.
func (s *Store) Get(ctx context.Context, appID, id string) (*Subscription, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	var sub Subscription
	db := s.db.WithContext(ctx)
	if err := db.Where("id = ? AND app_id = ?", id, appID).Take(&sub).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("load subscription: %w", err)
	}
	sub.Topics = []string{}
	if err := db.Model(&topicRow{}).Where("subscription_id = ?", id).Order("topic").
		Pluck("topic", &sub.Topics).Error; err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	return &sub, nil
}

// Unsubscribe marks one of the app's subscriptions unsubscribed; it is kept
// (so delivery history still resolves) but never targeted again.
func (s *Store) Unsubscribe(ctx context.Context, appID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	res := s.db.WithContext(ctx).Model(&Subscription{}).Where("id = ? AND app_id = ?", id, appID).
		Updates(map[string]any{"status": Unsubscribed, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("unsubscribe: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
