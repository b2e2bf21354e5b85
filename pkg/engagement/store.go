package engagement

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/fault"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/textcheck"
)

// Kinds of event a service worker reports.
const (
	Received  = "received"
	Clicked   = "clicked"
	Dismissed = "dismissed"
)

// Errors of event reporting.
var (
	ErrToken  = fault.Forbidden("invalid_event_token", "the event token does not belong to this notification")
	ErrType   = fault.Invalid("invalid_event_type", "type must be received, clicked or dismissed")
	ErrKey    = fault.Invalid("invalid_event", "an event needs an endpoint or an event_id (1 to 128 printable characters)")
	ErrAction = fault.Invalid("invalid_event_action", "action must be the notification action's name: 1 to 128 printable characters")
)

// Event is one report from a service worker.
type Event struct {
	NotificationID string
	Token          string
	Type           string
	Action         string
	// Endpoint is the reporting browser's push endpoint; events are counted
	// once per notification, type and endpoint. Without one, EventID (made
	// by the service worker) deduplicates retries instead.
	Endpoint string
	EventID  string
}

type row struct {
	NotificationID string    `gorm:"column:notification_id;primaryKey"`
	Kind           string    `gorm:"column:kind;primaryKey"`
	ClientKey      string    `gorm:"column:client_key;primaryKey"`
	Action         string    `gorm:"column:action"`
	CreatedAt      time.Time `gorm:"column:created_at"`
}

func (row) TableName() string { return "notification_events" }

// Store verifies and counts events. It owns the notification_events table
// (one row per counted report); the counters are the notification's.
type Store struct {
	db            *database.DB
	notifications *notification.Store
	subscriptions *subscription.Store
	tokens        *Tokens
}

// NewStore returns a Store over db verifying with tokens.
func NewStore(db *database.DB, tokens *Tokens) *Store {
	return &Store{db: db, notifications: notification.NewStore(db), subscriptions: subscription.NewStore(db), tokens: tokens}
}

// counters are the notification counters each kind of event moves.
var counters = map[string]notification.Engagement{
	Received: notification.EngagementReceived, Clicked: notification.EngagementClicked, Dismissed: notification.EngagementDismissed,
}

// Record verifies e and counts it unless it was already counted. allow sees
// the notification's app before anything is stored (the caller's CORS
// check); an error from it refuses the event.
func (s *Store) Record(ctx context.Context, e Event, allow func(appID string) error) (counted bool, err error) {
	counter, ok := counters[e.Type]
	if !ok {
		return false, ErrType
	}
	if len(e.Endpoint) > 2048 || !utf8.ValidString(e.Endpoint) || (e.EventID != "" && !textcheck.Identifier(e.EventID, 128)) {
		return false, ErrKey
	}
	if e.Action != "" && !textcheck.Identifier(e.Action, 128) {
		return false, ErrAction
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
	ok, err = s.tokens.Valid(ctx, e.NotificationID, e.Token)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrToken
	}
	// allow runs before the transaction: it may read the database itself,
	// and SQLite has one connection, which the transaction would hold.
	appID, err := s.notifications.AppOf(ctx, e.NotificationID)
	if errors.Is(err, notification.ErrNotFound) {
		return false, ErrToken // signed, but deleted since
	}
	if err != nil {
		return false, err
	}
	if err := allow(appID); err != nil {
		return false, err
	}
	err = s.db.InTx(ctx, func(tx *database.DB) error {
		notifications := s.notifications.WithTx(tx)
		res := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row{
			NotificationID: e.NotificationID, Kind: e.Type, ClientKey: key, Action: e.Action, CreatedAt: time.Now().UTC(),
		})
		if res.Error != nil {
			return fmt.Errorf("store event: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		counted = true
		if e.Type == Received && e.Endpoint != "" {
			// The browser shows what it gets: its subscription is responsive
			// (subscription.Store.Received, silent revocation).
			if _, err := s.subscriptions.WithTx(tx).Received(ctx, appID, e.Endpoint, time.Now().UTC()); err != nil {
				return err
			}
		}
		return notifications.AddEngagement(ctx, e.NotificationID, counter)
	})
	return counted, err
}
