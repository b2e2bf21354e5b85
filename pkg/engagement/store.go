package engagement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
)

// Kinds of event a service worker reports.
const (
	Received  = "received"
	Clicked   = "clicked"
	Dismissed = "dismissed"
)

// Errors of event reporting.
var (
	ErrToken = fault.Forbidden("invalid_event_token", "the event token does not belong to this notification")
	ErrType  = fault.Invalid("invalid_event_type", "type must be received, clicked or dismissed")
	ErrKey   = fault.Invalid("invalid_event", "an event needs an endpoint or an event_id (1 to 128 characters)")
	// ErrUnknownEndpoint: no subscription of this app has the old endpoint.
	ErrUnknownEndpoint = fault.NotFound("subscription_not_found", "no subscription with this endpoint")
)

// Event is one report from a service worker.
type Event struct {
	NotificationID string `json:"notification_id"`
	Token          string `json:"token"`
	Type           string `json:"type"`
	Action         string `json:"action,omitempty"`
	// Endpoint is the reporting browser's push endpoint; events are counted
	// once per notification, type and endpoint. Without one, EventID (made
	// by the service worker) deduplicates retries instead.
	Endpoint string `json:"endpoint,omitempty"`
	EventID  string `json:"event_id,omitempty"`
}

type row struct {
	NotificationID string    `gorm:"column:notification_id;primaryKey"`
	Kind           string    `gorm:"column:kind;primaryKey"`
	ClientKey      string    `gorm:"column:client_key;primaryKey"`
	Action         string    `gorm:"column:action"`
	CreatedAt      time.Time `gorm:"column:created_at"`
}

func (row) TableName() string { return "notification_events" }

// Store verifies and counts events.
type Store struct {
	db     *database.DB
	tokens *Tokens
}

// NewStore returns a Store over db verifying with tokens.
func NewStore(db *database.DB, tokens *Tokens) *Store { return &Store{db: db, tokens: tokens} }

// Record verifies e and counts it unless it was already counted. allow sees
// the notification's app before anything is stored (the caller's CORS
// check); an error from it refuses the event.
func (s *Store) Record(ctx context.Context, e Event, allow func(appID string) error) (counted bool, err error) {
	switch e.Type {
	case Received, Clicked, Dismissed:
	default:
		return false, ErrType
	}
	if len(e.Action) > 128 || len(e.Endpoint) > 2048 || len(e.EventID) > 128 {
		return false, ErrKey
	}
	key := e.EventID
	if e.Endpoint != "" {
		sum := sha256.Sum256([]byte(e.Endpoint))
		key = "e:" + hex.EncodeToString(sum[:16])
	} else if key == "" {
		return false, ErrKey
	} else {
		key = "i:" + key
	}
	if _, err := uuid.Parse(e.NotificationID); err != nil {
		return false, ErrToken
	}
	ok, err := s.tokens.Valid(ctx, e.NotificationID, e.Token)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrToken
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n struct{ AppID string }
		if err := tx.Table("notifications").Select("app_id").Where("id = ?", e.NotificationID).Take(&n).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrToken // signed, but deleted since
			}
			return fmt.Errorf("load notification: %w", err)
		}
		if err := allow(n.AppID); err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row{
			NotificationID: e.NotificationID, Kind: e.Type, ClientKey: key, Action: e.Action, CreatedAt: time.Now().UTC(),
		})
		if res.Error != nil {
			return fmt.Errorf("store event: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		counted = true
		return tx.Table("notifications").Where("id = ?", e.NotificationID).
			Update(e.Type, gorm.Expr(e.Type+" + 1")).Error
	})
	return counted, err
}

// SubscriptionID finds the app's subscription with endpoint, for a service
// worker replacing its endpoint (pushsubscriptionchange).
func (s *Store) SubscriptionID(ctx context.Context, appID, endpoint string) (string, error) {
	var r struct{ ID string }
	err := s.db.WithContext(ctx).Table("subscriptions").Select("id").
		Where("app_id = ? AND endpoint = ?", appID, endpoint).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrUnknownEndpoint
	}
	if err != nil {
		return "", fmt.Errorf("find subscription: %w", err)
	}
	return r.ID, nil
}
