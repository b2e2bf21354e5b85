package subscription

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// Lifecycle events a Tap is told of.
const (
	EventCreated      = "created"      // a new endpoint subscribed (not a known one again, not an import)
	EventUnsubscribed = "unsubscribed" // the app or the browser asked to stop
	EventGone         = "gone"         // pruned: the push service answered 404/410
	EventExpired      = "expired"      // past the expirationTime its browser gave: no longer sent to
	EventUnresponsive = "unresponsive" // silently revoked (lifecycle.go): no longer sent to until a receipt
	EventImported     = "imported"     // a batch of an import committed: one event for its rows (Import), none per row
)

// Event is one subscription's change of status.
type Event struct {
	Kind           string
	AppID          string
	SubscriptionID string
	UserID         string // "" when it belongs to no user
	At             time.Time
	Import         *Imported // EventImported's batch; SubscriptionID and UserID are empty then
}

// Tap is told of subscription events inside the transaction that makes
// them, so what it records of them commits with them (webhooks).
type Tap func(ctx context.Context, tx *database.DB, events []Event) error

// tell runs the taps on events, in tx.
func (s *Store) tell(ctx context.Context, tx *database.DB, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	for _, tap := range s.taps {
		if err := tap(ctx, tx, events); err != nil {
			return err
		}
	}
	return nil
}

// changed is a row a status change returned.
type changed struct {
	ID     string  `gorm:"column:id"`
	AppID  string  `gorm:"column:app_id"`
	UserID *string `gorm:"column:user_id"`
}

// setStatus moves the subscriptions matching where (with args) to status
// and tells the taps of each one moved, as kind. RETURNING names exactly
// the rows this statement changed, so a concurrent change is never
// reported twice.
func (s *Store) setStatus(ctx context.Context, tx *database.DB, status Status, kind string, now time.Time, where string, args ...any) (int64, error) {
	var rows []changed
	q := `UPDATE subscriptions SET status = ?, updated_at = ? WHERE ` + where + ` RETURNING id, app_id, user_id`
	if err := tx.WithContext(ctx).Raw(q, append([]any{status, now}, args...)...).Scan(&rows).Error; err != nil {
		return 0, fmt.Errorf("set subscriptions %s: %w", status, err)
	}
	events := make([]Event, len(rows))
	for i, r := range rows {
		events[i] = Event{Kind: kind, AppID: r.AppID, SubscriptionID: r.ID, At: now}
		if r.UserID != nil {
			events[i].UserID = *r.UserID
		}
	}
	return int64(len(rows)), s.tell(ctx, tx, events)
}
