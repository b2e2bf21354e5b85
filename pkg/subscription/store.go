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
	"github.com/heraldpush/herald/pkg/pushendpoint"
)

var (
	// ErrNotFound is returned for an unknown subscription id (or another app's).
	ErrNotFound = fault.NotFound("subscription_not_found", "no subscription with this id")
	// ErrUnknownEndpoint: no subscription of this app has the endpoint.
	ErrUnknownEndpoint = fault.NotFound("subscription_not_found", "no subscription with this endpoint")
)

// Store owns the subscriptions and subscription_topics tables: nothing
// else reads or writes them.
type Store struct {
	db   *database.DB
	taps []Tap // told of creations, unsubscriptions, prunes, expiries and silent revocations (events.go)
}

// NewStore returns a Store over db.
func NewStore(db *database.DB, taps ...Tap) *Store { return &Store{db: db, taps: taps} }

// WithTx returns the Store working inside tx (see database.DB.InTx).
func (s *Store) WithTx(tx *database.DB) *Store { return &Store{db: tx, taps: s.taps} }

// Upsert stores a subscription, or updates the one with the same endpoint in
// the app (a browser re-subscribing). created is false for an update. An
// update keeps the VAPID key the subscription was made with: a push
// service ties an endpoint to the key it was created with, so the same
// endpoint posted again after a key rotation still needs the old key.
func (s *Store) Upsert(ctx context.Context, appID, vapidKeyID string, v *Valid) (id string, created bool, err error) {
	now := time.Now().UTC()
	err = s.db.InTx(ctx, func(tx *database.DB) error {
		if id, created, err = upsertRow(tx.DB, appID, vapidKeyID, v, now); err != nil || !created {
			return err
		}
		ev := Event{Kind: EventCreated, AppID: appID, SubscriptionID: id, At: now}
		if v.UserID != nil {
			ev.UserID = *v.UserID
		}
		return s.tell(ctx, tx, []Event{ev})
	})
	return id, created, err
}

// upsertRow is Upsert inside tx.
func upsertRow(tx *gorm.DB, appID, vapidKeyID string, v *Valid, now time.Time) (id string, created bool, err error) {
	newID := uuid.Must(uuid.NewV7()).String()
	row := Subscription{
		ID: newID, AppID: appID, VAPIDKeyID: vapidKeyID,
		Endpoint: v.Endpoint, P256dh: v.P256dh, Auth: v.Auth, UserID: v.UserID,
		Timezone: v.Timezone, UserAgent: v.UserAgent, Status: Active,
		ExpirationTime: v.ExpirationTime, CreatedAt: now, UpdatedAt: now, AttributesJSON: "{}",
	}
	// Insert, or on the (app_id, endpoint) conflict update in place; the
	// returned id tells which happened without a racy read first.
	set := map[string]any{
		"p256dh": v.P256dh, "auth": v.Auth, "user_id": v.UserID, "timezone": v.Timezone,
		"status": Active, "consecutive_failures": 0, "unreceived_count": 0, "unreceived_since": nil,
		"expiration_time": v.ExpirationTime, "updated_at": now,
	}
	if v.UserAgent != "" { // an import knows no browser: it keeps the one known
		set["user_agent"] = v.UserAgent
	}
	if v.Attributes != nil { // nil: a known subscription keeps its attributes
		row.AttributesJSON, set["attributes"] = *v.Attributes, *v.Attributes
	}
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "app_id"}, {Name: "endpoint"}},
		DoUpdates: clause.Assignments(set),
	}, clause.Returning{Columns: []clause.Column{{Name: "id"}}}).Create(&row)
	if res.Error != nil {
		return "", false, fmt.Errorf("upsert subscription: %w", res.Error)
	}
	id, created = row.ID, row.ID == newID
	return id, created, replaceTopics(tx, appID, id, v.Topics)
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
	db := s.db.WithContext(ctx)
	sub, err := database.TakeID[Subscription](db.Where("app_id = ?", appID), id, ErrNotFound, "subscription")
	if err != nil {
		return nil, err
	}
	sub.Topics = []string{}
	if err := db.Model(&topicRow{}).Where("subscription_id = ?", id).Order("topic").
		Pluck("topic", &sub.Topics).Error; err != nil {
		return nil, fmt.Errorf("load topics: %w", err)
	}
	return sub, nil
}

// Unsubscribe marks one of the app's subscriptions unsubscribed; it is kept
// (so delivery history still resolves) but never targeted again.
func (s *Store) Unsubscribe(ctx context.Context, appID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	return s.db.InTx(ctx, func(tx *database.DB) error {
		n, err := s.setStatus(ctx, tx, Unsubscribed, EventUnsubscribed, time.Now().UTC(), "id = ? AND app_id = ? AND status <> ?", id, appID, Unsubscribed)
		if err != nil || n > 0 {
			return err
		}
		// Unsubscribed already (no event again), or not the app's.
		var found int64
		if err := tx.WithContext(ctx).Model(&Subscription{}).Where("id = ? AND app_id = ?", id, appID).Count(&found).Error; err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		if found == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// IDByEndpoint finds the app's subscription with endpoint, in any spelling.
func (s *Store) IDByEndpoint(ctx context.Context, appID, endpoint string) (string, error) {
	endpoint = pushendpoint.Canonical(endpoint)
	var ids []string
	err := s.db.WithContext(ctx).Model(&Subscription{}).Where("app_id = ? AND endpoint = ?", appID, endpoint).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return "", fmt.Errorf("find subscription: %w", err)
	}
	if len(ids) == 0 {
		return "", ErrUnknownEndpoint
	}
	return ids[0], nil
}

// Replace moves the subscription with oldEndpoint to the new endpoint a
// browser made (pushsubscriptionchange): the new one inherits user, topics,
// timezone and attributes, the old one is unsubscribed. Knowing the old endpoint (a
// capability URL only the browser and Herald hold) is what authorizes
// carrying the user over. in gives the new endpoint, keys and user agent.
func (s *Store) Replace(ctx context.Context, appID, vapidKeyID, oldEndpoint string, in Input, endpoints EndpointChecker) (id, oldID string, err error) {
	if oldID, err = s.IDByEndpoint(ctx, appID, oldEndpoint); err != nil {
		return "", "", err
	}
	old, err := s.Get(ctx, appID, oldID)
	if err != nil {
		return "", "", err
	}
	in.UserID, in.Topics, in.Timezone, in.Attributes = "", old.Topics, old.Timezone, old.Attributes()
	if in.Attributes == nil {
		in.Attributes = map[string]string{}
	}
	if old.UserID != nil {
		in.UserID = *old.UserID
	}
	valid, err := Validate(in, endpoints)
	if err != nil {
		return "", "", err
	}
	if id, _, err = s.Upsert(ctx, appID, vapidKeyID, valid); err != nil {
		return "", "", err
	}
	if id != oldID {
		if err := s.Unsubscribe(ctx, appID, oldID); err != nil {
			return "", "", err
		}
	}
	return id, oldID, nil
}
