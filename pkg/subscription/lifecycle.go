package subscription

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Silent revocation. iOS revokes a subscription after pushes that show
// nothing, and no 404 or 410 ever tells the sender: Apple's push service
// keeps answering 201. Herald notices from the other side. A browser whose
// service worker has reported a receipt before (last_received_at) and then
// reports none for the last Revocation.Notifications pushes its service
// accepted, the first of them at least Revocation.For ago, is marked
// Unresponsive: left out of sends (audiences take active subscriptions
// only) until its next receipt (Received) or subscribe (Upsert). Browsers
// that never reported a receipt (a service worker without Herald's, reports
// blocked) are never judged.

// Revocation says when a subscription counts as silently revoked.
type Revocation struct {
	Notifications int           // pushes accepted without a receipt; 0: never judged
	For           time.Duration // since the first of them, at least
}

// DefaultRevocation is what an app that set nothing gets: ten pushes over a
// week without a receipt (a browser that shows notifications reports each).
var DefaultRevocation = Revocation{Notifications: 10, For: 7 * 24 * time.Hour}

// recordUnconfirmed counts a push accepted for each of ids whose browser has
// reported receipts before, and marks those over r Unresponsive, telling
// the taps of each one it moved.
func (s *Store) recordUnconfirmed(ctx context.Context, ids []string, r Revocation, now time.Time) error {
	q := func() *gorm.DB { return s.db.WithContext(ctx).Model(&Subscription{}) }
	if err := q().Where("id IN ? AND last_received_at IS NOT NULL", ids).Updates(map[string]any{
		"unreceived_count": gorm.Expr("unreceived_count + 1"),
		"unreceived_since": gorm.Expr("COALESCE(unreceived_since, ?)", now),
	}).Error; err != nil {
		return fmt.Errorf("count pushes without a receipt: %w", err)
	}
	if r.Notifications <= 0 {
		return nil
	}
	_, err := s.setStatus(ctx, s.db, Unresponsive, EventUnresponsive, now,
		"id IN ? AND status = ? AND last_received_at IS NOT NULL AND unreceived_count >= ? AND unreceived_since <= ?",
		ids, Active, r.Notifications, now.Add(-r.For))
	return err
}

// Received records a receipt reported for subscription id of the app (the
// one the report's recipient token names, never an endpoint the report
// claims): its count of pushes without one starts again, and an
// Unresponsive subscription is active again. It reports whether it was
// reactivated.
func (s *Store) Received(ctx context.Context, appID, id string, now time.Time) (reactivated bool, err error) {
	var was []Status
	db := s.db.WithContext(ctx)
	if err := db.Model(&Subscription{}).Where("id = ? AND app_id = ?", id, appID).Pluck("status", &was).Error; err != nil {
		return false, fmt.Errorf("load subscription: %w", err)
	}
	if len(was) == 0 {
		return false, nil
	}
	if err := db.Model(&Subscription{}).Where("id = ? AND app_id = ?", id, appID).Updates(map[string]any{
		"last_received_at": now, "unreceived_count": 0, "unreceived_since": nil,
		"status": gorm.Expr("CASE WHEN status = ? THEN ? ELSE status END", Unresponsive, Active),
	}).Error; err != nil {
		return false, fmt.Errorf("record receipt: %w", err)
	}
	return was[0] == Unresponsive, nil
}

// Expired reports whether the subscription's browser said it expires by now.
func (s *Subscription) Expired(now time.Time) bool {
	return s.ExpirationTime != nil && !s.ExpirationTime.After(now)
}
