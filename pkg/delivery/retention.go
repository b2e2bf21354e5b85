package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/notification"
)

// deliveriesTable is the table this package owns. On PostgreSQL it is
// partitioned by day of the notification id (migration 9): a
// notification's deliveries all live in the partition of the day it was
// made, the primary key (notification_id, subscription_id) stays unique,
// and a batch's lookup of what is recorded reads one partition.
const deliveriesTable = "deliveries"

// DeliveryRetention removes the deliveries of old notifications. A
// delivery row is what keeps a batch that runs again (retried, recovered
// after a crash, queued twice) from sending twice, so rows go only with
// notifications that settled (completed or cancelled) before the cutoff
// the caller gives, never with one still sending, scheduled or recently
// done.
type DeliveryRetention struct {
	db            *database.DB
	notifications *notification.Store
	partitions    *database.DayPartitions // PostgreSQL only
	log           *slog.Logger
}

// NewDeliveryRetention returns the retention of the deliveries table.
func NewDeliveryRetention(db *database.DB, log *slog.Logger) *DeliveryRetention {
	r := &DeliveryRetention{db: db, notifications: notification.NewStore(db), log: log}
	if db.Dialect == database.Postgres {
		r.partitions = database.NewDayPartitions(db, deliveriesTable)
	}
	return r
}

// Expired is what one pass removed.
type Expired struct {
	Partitions int   // day partitions dropped whole (PostgreSQL)
	Rows       int64 // rows deleted one batch at a time
}

// Prepare makes the partitions of the days ahead (PostgreSQL; nothing on
// SQLite), so a new notification's deliveries always have one waiting.
func (r *DeliveryRetention) Prepare(ctx context.Context, now time.Time) error {
	if r.partitions == nil {
		return nil
	}
	return r.partitions.EnsureAhead(ctx, now, database.PartitionDaysAhead)
}

// Expire removes the deliveries of notifications made before madeBefore
// that settled before settledBefore. On PostgreSQL it drops each day partition wholly past
// madeBefore whose notifications have all settled before settledBefore (a
// day with one still sending waits for it), then deletes, in batches, the
// expired rows the default partition holds. On SQLite it deletes in
// batches.
func (r *DeliveryRetention) Expire(ctx context.Context, madeBefore, settledBefore time.Time, batch int) (Expired, error) {
	var out Expired
	table := deliveriesTable
	if r.partitions != nil {
		parts, err := r.partitions.List(ctx)
		if err != nil {
			return out, err
		}
		for _, p := range parts {
			if p.To.After(madeBefore) {
				break
			}
			busy, err := r.notifications.AnyUnsettled(ctx, p.From, p.To, settledBefore)
			if err != nil {
				return out, err
			}
			if busy {
				r.log.Info("retention: keeping a day of deliveries while a notification of it is unsettled", "partition", p.Name)
				continue
			}
			if err := r.partitions.Drop(ctx, p); err != nil {
				return out, err
			}
			out.Partitions++
		}
		table = database.DefaultPartition(deliveriesTable)
	}
	n, err := r.expireRows(ctx, table, madeBefore, settledBefore, batch)
	out.Rows = n
	return out, err
}

// expireRows deletes, from table (the whole table or its default
// partition), the rows of settled notifications made before madeBefore,
// visiting the notifications that have rows there in id order.
func (r *DeliveryRetention) expireRows(ctx context.Context, table string, madeBefore, settledBefore time.Time, batch int) (int64, error) {
	var total int64
	after := ""
	for {
		q := r.db.WithContext(ctx).Table(table).Distinct("notification_id").
			Where("notification_id < ?", database.IDFloor(madeBefore)).Order("notification_id").Limit(100)
		if after != "" {
			q = q.Where("notification_id > ?", after)
		}
		var ids []string
		if err := q.Pluck("notification_id", &ids).Error; err != nil {
			return total, fmt.Errorf("deliveries to expire: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		after = ids[len(ids)-1]
		settled, err := r.notifications.SettledAmong(ctx, ids, settledBefore)
		if err != nil {
			return total, err
		}
		for _, id := range ids {
			if !settled[id] {
				continue
			}
			n, err := r.PurgeNotification(ctx, id, batch)
			total += n
			if err != nil {
				return total, err
			}
		}
	}
}

// PurgeNotification deletes the notification's deliveries, a bounded batch
// at a time. The caller knows the notification settled long enough ago.
func (r *DeliveryRetention) PurgeNotification(ctx context.Context, notificationID string, batch int) (int64, error) {
	return database.DeleteBatches(ctx, batch, func(ctx context.Context, limit int) (int64, error) {
		res := r.db.WithContext(ctx).Exec(`DELETE FROM deliveries WHERE notification_id = ? AND subscription_id IN
			(SELECT subscription_id FROM deliveries WHERE notification_id = ? LIMIT ?)`, notificationID, notificationID, limit)
		if res.Error != nil {
			return 0, fmt.Errorf("delete deliveries: %w", res.Error)
		}
		return res.RowsAffected, nil
	})
}
