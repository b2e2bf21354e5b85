package notification

import (
	"context"
	"fmt"
)

// CountShards is how many rows share a notification's outcome counts.
// Every outcome write of a broadcast used to update the notification row,
// so the batches of all workers (and the fan-out's cursor) queued on its
// lock; spread over shards, concurrent batches rarely meet.
const CountShards = 16

// Counts are final outcomes so far.
type Counts struct {
	Delivered, Gone, Dead, Capped int64
}

// AddCounts adds outcomes to one shard of a notification's counts. Run it
// inside the transaction that records the outcomes themselves (WithTx).
// Negative values take outcomes back (a dead letter sent again).
func (s *Store) AddCounts(ctx context.Context, notificationID string, shard int, c Counts) error {
	if c == (Counts{}) {
		return nil
	}
	// updated_at is the notification's progress for the reconciler
	// (ProgressAt): no write of its own, it rides on the count's.
	err := s.db.WithContext(ctx).Exec(`INSERT INTO notification_counts (notification_id, shard, delivered, gone, dead, capped, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (notification_id, shard) DO UPDATE SET delivered = notification_counts.delivered + excluded.delivered,
			gone = notification_counts.gone + excluded.gone, dead = notification_counts.dead + excluded.dead,
			capped = notification_counts.capped + excluded.capped, updated_at = excluded.updated_at`,
		notificationID, shard%CountShards, c.Delivered, c.Gone, c.Dead, c.Capped, s.now()).Error
	if err != nil {
		return fmt.Errorf("count outcomes: %w", err)
	}
	return nil
}

// LoadCounts fills the outcome counts of ns.
func (s *Store) LoadCounts(ctx context.Context, ns ...*Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	var rows []struct {
		NotificationID                string
		Delivered, Gone, Dead, Capped int64
	}
	err := s.db.WithContext(ctx).Table("notification_counts").
		Select("notification_id, SUM(delivered) AS delivered, SUM(gone) AS gone, SUM(dead) AS dead, SUM(capped) AS capped").
		Where("notification_id IN ?", ids).Group("notification_id").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("load outcome counts: %w", err)
	}
	byID := make(map[string]Counts, len(rows))
	for _, r := range rows {
		byID[r.NotificationID] = Counts{Delivered: r.Delivered, Gone: r.Gone, Dead: r.Dead, Capped: r.Capped}
	}
	for _, n := range ns {
		c := byID[n.ID]
		n.Delivered, n.Gone, n.Dead, n.Capped = c.Delivered, c.Gone, c.Dead, c.Capped
	}
	return nil
}

// completeWhen is true for a notification (aliased n) whose fan-out is done
// and whose every targeted subscription has a final outcome.
const completeWhen = `n.status = ? AND n.fanout_done AND n.targeted =
	(SELECT COALESCE(SUM(c.delivered + c.gone + c.dead + c.capped), 0) FROM notification_counts c WHERE c.notification_id = n.id)`

// CompleteIfDone marks the notification completed when nothing is pending.
// Every writer of outcomes or of the fan-out's end calls it after its own
// commit: whichever check runs last sees every commit, so the last one
// completes the notification. A crash between a commit and its check is
// caught by CompleteStalled.
func (s *Store) CompleteIfDone(ctx context.Context, id string) (bool, error) {
	n, err := s.complete(ctx, "n.id = ? AND ", id)
	return n == 1, err
}

// CompleteStalled completes every notification whose last outcome writer
// died before its completion check.
func (s *Store) CompleteStalled(ctx context.Context) (int64, error) {
	return s.complete(ctx, "")
}

// complete marks completed the notifications matching scope (a condition
// ending in AND, or "") that have nothing pending.
func (s *Store) complete(ctx context.Context, scope string, args ...any) (int64, error) {
	now := s.now()
	// completion_announced = FALSE queues the completion for its webhook
	// event (announce.go): the event is as durable as the completion.
	res := s.db.WithContext(ctx).Exec(`UPDATE notifications AS n SET status = ?, completed_at = ?, updated_at = ?, completion_announced = FALSE
		WHERE `+scope+completeWhen, append(append([]any{Completed, now, now}, args...), Sending)...)
	if res.Error != nil {
		return 0, fmt.Errorf("complete notifications: %w", res.Error)
	}
	return res.RowsAffected, nil
}
