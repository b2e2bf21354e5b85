package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Final outcomes of one subscription for one notification.
const (
	StatusDelivered = "delivered"
	StatusGone      = "gone"
	StatusDead      = "dead"
)

// outcome is the final result for one subscription.
type outcome struct {
	SubscriptionID string
	Status         string
	Attempts       int
	LastStatus     int
	Error          string
	// fresh: delivered to a subscription whose last success is recent and
	// that had no failures, so its row is not rewritten (see successRefresh).
	fresh bool
}

// successRefresh is how stale a subscription's last_success_at may get
// before a delivery rewrites it. Rewriting it on every delivery was one
// row update per message: the largest database write of a broadcast.
const successRefresh = time.Hour

// recordOutcomes writes final outcomes of one notification in one
// transaction: the per-notification record of who got it (a row that
// already exists is not counted twice), dead letters, the counts (in the
// batch's shard), and the subscription updates, batched: gone ones are
// pruned, delivered ones get their last-success time (refreshed at most
// every successRefresh). The caller checks for completion after the commit.
func recordOutcomes(ctx context.Context, db *database.DB, appID, notificationID string, shard int, outs []outcome) error {
	if len(outs) == 0 {
		return nil
	}
	now := time.Now().UTC()
	byID := make(map[string]outcome, len(outs))
	for _, o := range outs {
		byID[o.SubscriptionID] = o
	}
	var inserted []struct {
		SubscriptionID string
		Status         string
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		values := make([]string, 0, len(outs))
		args := make([]any, 0, len(outs)*6)
		for _, o := range outs {
			values = append(values, "(?, ?, ?, ?, ?, ?)")
			args = append(args, notificationID, o.SubscriptionID, o.Status, o.Attempts, o.LastStatus, now)
		}
		err := tx.Raw(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
			VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (notification_id, subscription_id) DO NOTHING
			RETURNING subscription_id, status`, args...).Scan(&inserted).Error
		if err != nil {
			return fmt.Errorf("record deliveries: %w", err)
		}
		var counts notification.Counts
		var letters []map[string]any
		for _, row := range inserted {
			switch row.Status {
			case StatusDelivered:
				counts.Delivered++
			case StatusGone:
				counts.Gone++
			case StatusDead:
				counts.Dead++
				o := byID[row.SubscriptionID]
				letters = append(letters, map[string]any{
					"id": uuid.Must(uuid.NewV7()).String(), "app_id": appID, "notification_id": notificationID,
					"subscription_id": o.SubscriptionID, "attempts": o.Attempts, "last_status": o.LastStatus,
					"last_error": truncate(o.Error, 2000), "created_at": now,
				})
			}
		}
		if len(letters) > 0 {
			if err := tx.Table("dead_letters").Create(letters).Error; err != nil {
				return fmt.Errorf("record dead letters: %w", err)
			}
		}
		if err := updateSubscriptions(tx, outs, now); err != nil {
			return err
		}
		return notification.AddCounts(tx, notificationID, shard, counts)
	})
}

func updateSubscriptions(tx *gorm.DB, outs []outcome, now time.Time) error {
	var delivered, gone, dead []string
	for _, o := range outs {
		switch o.Status {
		case StatusDelivered:
			if !o.fresh {
				delivered = append(delivered, o.SubscriptionID)
			}
		case StatusGone:
			gone = append(gone, o.SubscriptionID)
		case StatusDead:
			dead = append(dead, o.SubscriptionID)
		}
	}
	q := func() *gorm.DB { return tx.Model(&subscription.Subscription{}) }
	if len(gone) > 0 {
		if err := q().Where("id IN ? AND status = ?", gone, subscription.Active).
			Updates(map[string]any{"status": subscription.Gone, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("prune gone subscriptions: %w", err)
		}
	}
	if len(delivered) > 0 {
		if err := q().Where("id IN ?", delivered).
			Updates(map[string]any{"last_success_at": now, "consecutive_failures": 0}).Error; err != nil {
			return fmt.Errorf("record last success: %w", err)
		}
	}
	if len(dead) > 0 {
		if err := q().Where("id IN ?", dead).
			Update("consecutive_failures", gorm.Expr("consecutive_failures + 1")).Error; err != nil {
			return fmt.Errorf("count failures: %w", err)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
