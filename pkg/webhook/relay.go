package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// Jobs is the job queue the outbox feeds (pkg/jobqueue implements it over
// asynq): one task per message and round, under an id made from them, so
// handing a message over twice queues it once.
type Jobs interface {
	// EnqueueWebhook queues the delivery of a message, retried at most
	// maxRetry times; a task already queued under the same id counts as
	// done.
	EnqueueWebhook(ctx context.Context, messageID, appID string, resends, maxRetry int) error
	// WebhookQueued reports whether the message's task of that round is
	// still queued (waiting, running or due for a retry).
	WebhookQueued(ctx context.Context, messageID string, resends int) (bool, error)
}

// relay hands the messages due and not handed over yet to the job queue,
// and marks them handed over in the transaction that claimed them. An
// enqueue that fails rolls the marks back: those are handed over again next
// round, and the task ids make the ones that did get there count once.
func (d *Dispatcher) relay(ctx context.Context) error {
	for {
		var claimed int
		err := d.db.InTx(ctx, func(tx *database.DB) error {
			store := d.store.WithTx(tx)
			msgs, err := store.claimUnrelayed(ctx, relayLimit)
			if err != nil || len(msgs) == 0 {
				return err
			}
			claimed = len(msgs)
			if err := d.handOver(ctx, msgs); err != nil {
				return err
			}
			return store.markHandedOver(ctx, msgs)
		})
		if err != nil || claimed < relayLimit {
			return err
		}
	}
}

func (d *Dispatcher) handOver(ctx context.Context, msgs []Message) error {
	for _, m := range msgs {
		if err := d.jobs.EnqueueWebhook(ctx, m.ID, m.AppID, m.Resends, d.retries); err != nil {
			return fmt.Errorf("hand webhook message %s over: %w", m.ID, err)
		}
	}
	return nil
}

// repair hands over again the messages handed over RepairAfter ago or
// more, still pending, whose task is gone (Redis restarted empty, or failed
// over to a replica that lagged): the outbox in the database is the truth,
// and a task that comes twice sends once (Deliver checks the row first).
// Each message it looks at is marked as seen now, so a day of retries is
// checked once per RepairAfter, a page per pass. It returns how many it
// handed over again.
func (d *Dispatcher) repair(ctx context.Context) (int, error) {
	var lost int
	err := d.db.InTx(ctx, func(tx *database.DB) error {
		store := d.store.WithTx(tx)
		msgs, err := store.claimHandedOverBefore(ctx, d.now().Add(-d.cfg.RepairAfter), repairLimit)
		if err != nil || len(msgs) == 0 {
			return err
		}
		var gone []Message
		for _, m := range msgs {
			queued, err := d.jobs.WebhookQueued(ctx, m.ID, m.Resends)
			if err != nil {
				return err
			}
			if !queued {
				gone = append(gone, m)
			}
		}
		if err := d.handOver(ctx, gone); err != nil {
			return err
		}
		lost = len(gone)
		return store.markHandedOver(ctx, msgs)
	})
	return lost, err
}

// skipLocked is the row-lock clause that lets several workers claim apart
// (PostgreSQL; SQLite has a single writer).
func (s *Store) skipLocked() string {
	if s.db.Dialect == database.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// claimUnrelayed locks up to limit pending messages due and not handed over
// (webhook_messages_unrelayed), oldest due first.
func (s *Store) claimUnrelayed(ctx context.Context, limit int) ([]Message, error) {
	var out []Message
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM webhook_messages
		WHERE status = ? AND handed_over_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`+s.skipLocked(),
		Pending, s.now(), limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim webhook messages to hand over: %w", err)
	}
	return out, nil
}

// claimHandedOverBefore locks up to limit pending messages handed over (or
// last seen queued) before t (webhook_messages_handed_over), oldest first.
func (s *Store) claimHandedOverBefore(ctx context.Context, t time.Time, limit int) ([]Message, error) {
	var out []Message
	err := s.db.WithContext(ctx).Raw(`SELECT * FROM webhook_messages
		WHERE status = ? AND handed_over_at IS NOT NULL AND handed_over_at <= ? ORDER BY handed_over_at LIMIT ?`+s.skipLocked(),
		Pending, t, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim webhook messages to check: %w", err)
	}
	return out, nil
}

// markHandedOver stamps msgs as handed over (or seen queued) now.
func (s *Store) markHandedOver(ctx context.Context, msgs []Message) error {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	if err := s.db.WithContext(ctx).Model(&Message{}).Where("id IN ?", ids).Update("handed_over_at", s.now()).Error; err != nil {
		return fmt.Errorf("mark webhook messages handed over: %w", err)
	}
	return nil
}
