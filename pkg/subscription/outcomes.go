package subscription

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Load returns the subscriptions with the given ids, of any app and status
// (a delivery batch decides what to do with each); unknown ids are left out.
func (s *Store) Load(ctx context.Context, ids []string) ([]Subscription, error) {
	var subs []Subscription
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&subs).Error; err != nil {
		return nil, fmt.Errorf("load subscriptions: %w", err)
	}
	return subs, nil
}

// Outcomes are what final delivery outcomes mean for subscriptions.
type Outcomes struct {
	Delivered []string // reached: last success now, failures reset
	Gone      []string // the push service said 404/410: pruned
	Dead      []string // given up on: one more consecutive failure
	Expired   []string // past their expirationTime: never sent, now Expired
	// Unconfirmed are delivered ones (fresh or not) whose browsers report
	// receipts: one more push without one, judged by Revocation
	// (lifecycle.go).
	Unconfirmed []string
	Revocation  Revocation
}

// RecordOutcomes applies outcomes in batched updates, at most one per kind.
// Run it inside the transaction that records the outcomes themselves
// (WithTx), so both commit together.
func (s *Store) RecordOutcomes(ctx context.Context, o Outcomes, now time.Time) error {
	q := func() *gorm.DB { return s.db.WithContext(ctx).Model(&Subscription{}) }
	if len(o.Gone) > 0 {
		if _, err := s.setStatus(ctx, s.db, Gone, EventGone, now, "id IN ? AND status = ?", o.Gone, Active); err != nil {
			return err
		}
	}
	if len(o.Delivered) > 0 {
		if err := q().Where("id IN ?", o.Delivered).
			Updates(map[string]any{"last_success_at": now, "consecutive_failures": 0}).Error; err != nil {
			return fmt.Errorf("record last success: %w", err)
		}
	}
	if len(o.Expired) > 0 {
		if _, err := s.setStatus(ctx, s.db, Expired, EventExpired, now, "id IN ? AND status = ?", o.Expired, Active); err != nil {
			return err
		}
	}
	if len(o.Unconfirmed) > 0 {
		if err := s.recordUnconfirmed(ctx, o.Unconfirmed, o.Revocation, now); err != nil {
			return err
		}
	}
	if len(o.Dead) > 0 {
		if err := q().Where("id IN ?", o.Dead).
			Update("consecutive_failures", gorm.Expr("consecutive_failures + 1")).Error; err != nil {
			return fmt.Errorf("count failures: %w", err)
		}
	}
	return nil
}

// CountByStatus counts every app's subscriptions by status.
func (s *Store) CountByStatus(ctx context.Context) (map[Status]int64, error) {
	var rows []struct {
		Status Status
		N      int64
	}
	if err := s.db.WithContext(ctx).Model(&Subscription{}).Select("status, COUNT(*) AS n").
		Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count subscriptions: %w", err)
	}
	out := make(map[Status]int64, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Reachable says whether one of the app's subscriptions still exists and
// was not unsubscribed: engagement counts reports only from those (a gone
// one may still report a notification it got before).
func (s *Store) Reachable(ctx context.Context, appID, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Subscription{}).
		Where("id = ? AND app_id = ? AND status <> ?", id, appID, Unsubscribed).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("find subscription: %w", err)
	}
	return n > 0, nil
}
