package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// Final outcomes of one subscription for one notification.
const (
	StatusDelivered = "delivered"
	StatusGone      = "gone"
	StatusDead      = "dead"
	StatusCapped    = "capped" // held back by a frequency cap: never sent
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
	// expired: never sent, the subscription is past its expirationTime.
	expired bool
	// unrenderable: dead because its personalised content could not be
	// made (too large, a bad link): the content's fault, not the
	// subscription's, so it does not count toward the subscription's failures.
	unrenderable bool
	// unconfirmed: delivered to a browser that reports receipts, so the push
	// counts toward silent revocation (subscription.Revocation).
	unconfirmed bool
}

// successRefresh is how stale a subscription's last_success_at may get
// before a delivery rewrites it. Rewriting it on every delivery was one
// row update per message: the largest database write of a broadcast.
const successRefresh = time.Hour

// recordOutcomes writes final outcomes of one notification in one
// transaction: the deliveries rows of who got what (a row that already
// exists is not counted twice), then through their owners the dead letters,
// the subscriptions (gone ones pruned, delivered ones' last success,
// refreshed at most every successRefresh) and the counts (in the batch's
// shard). The caller checks for completion after the commit.
func (d *Deliverer) recordOutcomes(ctx context.Context, n *notification.Notification, shard int, outs []outcome) error {
	if len(outs) == 0 {
		return nil
	}
	appID, notificationID := n.AppID, n.ID
	variants, err := n.Variants()
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	byID := make(map[string]outcome, len(outs))
	for _, o := range outs {
		byID[o.SubscriptionID] = o
	}
	so := subscriptionOutcomes(outs)
	if len(so.Unconfirmed) > 0 {
		settings, err := d.settings(ctx, appID)
		if err != nil {
			return err
		}
		so.Revocation = revocationOf(settings)
	}
	return d.db.InTx(ctx, func(tx *database.DB) error {
		inserted, err := insertDeliveries(ctx, tx, notificationID, outs, now)
		if err != nil {
			return err
		}
		var counts notification.Counts
		byVariant := map[int]notification.Counts{}
		var letters []deadletter.DeadLetter
		for _, row := range inserted {
			counts = countOne(counts, row.Status)
			if variants != nil {
				i := notification.VariantFor(notificationID, row.SubscriptionID, variants)
				byVariant[i] = countOne(byVariant[i], row.Status)
			}
			switch row.Status {
			case StatusDead:
				o := byID[row.SubscriptionID]
				letters = append(letters, deadletter.DeadLetter{
					AppID: appID, NotificationID: notificationID, SubscriptionID: o.SubscriptionID,
					Attempts: o.Attempts, LastStatus: o.LastStatus, LastError: o.Error, CreatedAt: now,
				})
			}
		}
		if err := d.deadLetters.WithTx(tx).Add(ctx, letters); err != nil {
			return err
		}
		// A push counts toward silent revocation once, when its outcome is
		// first recorded.
		so := so
		so.Unconfirmed = newlyDelivered(so.Unconfirmed, inserted)
		if err := d.subscriptions.WithTx(tx).RecordOutcomes(ctx, so, now); err != nil {
			return err
		}
		store := d.notifications.WithTx(tx)
		if err := store.AddVariantCounts(ctx, notificationID, shard, byVariant); err != nil {
			return err
		}
		return store.AddCounts(ctx, notificationID, shard, counts)
	})
}

// countOne adds one final outcome of status to c.
func countOne(c notification.Counts, status string) notification.Counts {
	switch status {
	case StatusDelivered:
		c.Delivered++
	case StatusGone:
		c.Gone++
	case StatusCapped:
		c.Capped++
	case StatusDead:
		c.Dead++
	}
	return c
}

func subscriptionOutcomes(outs []outcome) subscription.Outcomes {
	var so subscription.Outcomes
	for _, o := range outs {
		switch o.Status {
		case StatusDelivered:
			if !o.fresh {
				so.Delivered = append(so.Delivered, o.SubscriptionID)
			}
			if o.unconfirmed {
				so.Unconfirmed = append(so.Unconfirmed, o.SubscriptionID)
			}
		case StatusGone:
			if o.expired {
				so.Expired = append(so.Expired, o.SubscriptionID)
			} else {
				so.Gone = append(so.Gone, o.SubscriptionID)
			}
		case StatusDead:
			if !o.unrenderable {
				so.Dead = append(so.Dead, o.SubscriptionID)
			}
		}
	}
	return so
}

type deliveryRow struct {
	SubscriptionID string
	Status         string
}

// insertDeliveries inserts the outcomes not recorded yet and returns those.
func insertDeliveries(ctx context.Context, tx *database.DB, notificationID string, outs []outcome, now time.Time) ([]deliveryRow, error) {
	values := make([]string, 0, len(outs))
	args := make([]any, 0, len(outs)*6)
	for _, o := range outs {
		values = append(values, "(?, ?, ?, ?, ?, ?)")
		args = append(args, notificationID, o.SubscriptionID, o.Status, o.Attempts, o.LastStatus, now)
	}
	var inserted []deliveryRow
	err := tx.WithContext(ctx).Raw(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
		VALUES `+strings.Join(values, ", ")+`
		ON CONFLICT (notification_id, subscription_id) DO NOTHING
		RETURNING subscription_id, status`, args...).Scan(&inserted).Error
	if err != nil {
		return nil, fmt.Errorf("record deliveries: %w", err)
	}
	return inserted, nil
}

// recorded says which of the subscriptions already have a final outcome
// for the notification.
func (d *Deliverer) recorded(ctx context.Context, notificationID string, ids []string) (map[string]bool, error) {
	return recordedAmong(ctx, d.db, notificationID, ids)
}

// recordedAmong says which of ids have a final outcome for the notification.
func recordedAmong(ctx context.Context, db *database.DB, notificationID string, ids []string) (map[string]bool, error) {
	var done []string
	err := db.WithContext(ctx).Table("deliveries").Where("notification_id = ? AND subscription_id IN ?", notificationID, ids).
		Pluck("subscription_id", &done).Error
	if err != nil {
		return nil, fmt.Errorf("load recorded deliveries: %w", err)
	}
	out := make(map[string]bool, len(done))
	for _, id := range done {
		out[id] = true
	}
	return out, nil
}

// countRecorded is how many subscriptions have a final outcome for the
// notification.
func countRecorded(ctx context.Context, db *database.DB, notificationID string) (int64, error) {
	var n int64
	if err := db.WithContext(ctx).Table("deliveries").Where("notification_id = ?", notificationID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count recorded deliveries: %w", err)
	}
	return n, nil
}

// forgetDead removes a dead outcome so the notification counts the
// subscription pending again.
func forgetDead(ctx context.Context, tx *database.DB, notificationID, subscriptionID string) error {
	res := tx.WithContext(ctx).Exec("DELETE FROM deliveries WHERE notification_id = ? AND subscription_id = ? AND status = ?",
		notificationID, subscriptionID, StatusDead)
	if res.Error != nil {
		return fmt.Errorf("forget dead delivery: %w", res.Error)
	}
	return nil
}

// revocationOf is the app's unresponsive_after as a subscription.Revocation.
func revocationOf(s app.Settings) subscription.Revocation {
	u := s.UnresponsiveAfter
	if u == nil {
		return subscription.DefaultRevocation
	}
	return subscription.Revocation{Notifications: u.Notifications, For: time.Duration(u.Days) * 24 * time.Hour}
}

// newlyDelivered keeps the ids whose delivered outcome was just inserted.
func newlyDelivered(ids []string, inserted []deliveryRow) []string {
	if len(ids) == 0 {
		return nil
	}
	fresh := make(map[string]bool, len(inserted))
	for _, r := range inserted {
		fresh[r.SubscriptionID] = r.Status == StatusDelivered
	}
	out := ids[:0:0]
	for _, id := range ids {
		if fresh[id] {
			out = append(out, id)
		}
	}
	return out
}
