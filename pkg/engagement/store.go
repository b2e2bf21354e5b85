package engagement

import (
	"context"
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
	ErrToken  = fault.Forbidden("invalid_event_token", "the event token does not belong to this notification, or its subscription was deleted")
	ErrType   = fault.Invalid("invalid_event_type", "type must be received, clicked or dismissed")
	ErrKey    = fault.Invalid("invalid_event", "event_id must be 1 to 128 printable characters, endpoint at most 2048 bytes of UTF-8")
	ErrAction = fault.Invalid("invalid_event_action", "action must be the notification action's name: 1 to 128 printable characters")
)

// Event is one report from a service worker.
type Event struct {
	NotificationID string
	Token          string
	Type           string
	Action         string
	// Endpoint and EventID are what service workers before per-recipient
	// tokens sent to tell browsers apart; they are checked but no longer
	// counted by: the token names the recipient.
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
	taps          []Tap
}

// Tap is told of each event counted, inside the transaction that counts
// it, so what it writes (a webhook's outbox) commits with the count or not
// at all. at is when the event was counted.
type Tap func(ctx context.Context, tx *database.DB, appID string, e Event, at time.Time) error

// NewStore returns a Store over db verifying with tokens and telling taps
// of every event it counts.
func NewStore(db *database.DB, tokens *Tokens, taps ...Tap) *Store {
	return &Store{db: db, notifications: notification.NewStore(db), subscriptions: subscription.NewStore(db), tokens: tokens, taps: taps}
}

// counters are the notification counters each kind of event moves.
var counters = map[string]notification.Engagement{
	Received: notification.EngagementReceived, Clicked: notification.EngagementClicked, Dismissed: notification.EngagementDismissed,
}

// check refuses what no report may hold, before anything is looked up.
func (e Event) check() error {
	if _, ok := counters[e.Type]; !ok {
		return ErrType
	}
	if len(e.Endpoint) > 2048 || !utf8.ValidString(e.Endpoint) || (e.EventID != "" && !textcheck.Identifier(e.EventID, 128)) {
		return ErrKey
	}
	if e.Action != "" && !textcheck.Identifier(e.Action, 128) {
		return ErrAction
	}
	if _, err := uuid.Parse(e.NotificationID); err != nil {
		return ErrToken
	}
	return nil
}

// Record verifies e and counts it unless it was already counted. allow sees
// the notification's app before anything is stored (the caller's CORS
// check); an error from it refuses the event.
func (s *Store) Record(ctx context.Context, e Event, allow func(appID string) error) (counted bool, err error) {
	if err := e.check(); err != nil {
		return false, err
	}
	counter := counters[e.Type]
	// The token names the subscription the message went to: a recipient
	// counts once per notification and type, whatever event_id it sends.
	subscriptionID, ok, err := s.tokens.recipientOf(ctx, e.NotificationID, e.Token)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrToken
	}
	key := "s:" + subscriptionID
	// allow runs before the transaction: it may read the database itself,
	// and SQLite has one connection, which the transaction would hold.
	appID, err := s.notifications.AppOf(ctx, e.NotificationID)
	if errors.Is(err, notification.ErrNotFound) {
		return false, ErrToken // signed, but deleted since
	}
	if err != nil {
		return false, err
	}
	live, err := s.subscriptions.Reachable(ctx, appID, subscriptionID)
	if err != nil {
		return false, err
	}
	if !live {
		return false, ErrToken // the subscription was deleted (or another app's)
	}
	if err := allow(appID); err != nil {
		return false, err
	}
	err = s.db.InTx(ctx, func(tx *database.DB) error {
		notifications := s.notifications.WithTx(tx)
		at := time.Now().UTC()
		res := tx.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row{
			NotificationID: e.NotificationID, Kind: e.Type, ClientKey: key, Action: e.Action, CreatedAt: at,
		})
		if res.Error != nil {
			return fmt.Errorf("store event: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		counted = true
		if e.Type == Received {
			// The browser shows what it gets: the token's subscription is
			// responsive (subscription.Store.Received, silent revocation).
			if _, err := s.subscriptions.WithTx(tx).Received(ctx, appID, subscriptionID, time.Now().UTC()); err != nil {
				return err
			}
		}
		for _, tap := range s.taps {
			if err := tap(ctx, tx, appID, e, at); err != nil {
				return err
			}
		}
		return notifications.AddEngagement(ctx, e.NotificationID, subscriptionID, counter)
	})
	return counted, err
}
