package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// claimDue leases up to limit pending messages whose attempt is due: their
// next attempt moves lease ahead, so a worker that dies mid-request hands
// them back by then, and other workers skip them meanwhile.
func (s *Store) claimDue(ctx context.Context, limit int, lease time.Duration) ([]Message, error) {
	now := s.now()
	lock := ""
	if s.db.Dialect == database.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []Message
	err := s.db.WithContext(ctx).Raw(`UPDATE webhook_messages SET next_attempt_at = ?
		WHERE id IN (SELECT id FROM webhook_messages WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`+lock+`)
		RETURNING *`, now.Add(lease), Pending, now, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("claim webhook messages: %w", err)
	}
	return out, nil
}

// endpointsByID loads the endpoints of msgs.
func (s *Store) endpointsByID(ctx context.Context, msgs []Message) (map[string]*Endpoint, error) {
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.EndpointID)
	}
	var rows []Endpoint
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load webhook endpoints: %w", err)
	}
	out := make(map[string]*Endpoint, len(rows))
	for i := range rows {
		out[rows[i].ID] = &rows[i]
	}
	return out, nil
}

// recordAttempt stores an attempt's result: delivered, tried again after
// backoff(attempts), or failed once the retry window is over. The
// endpoint's failure streak follows; one failing for DisableAfter is
// disabled.
func (s *Store) recordAttempt(ctx context.Context, m *Message, e *Endpoint, a attempt, now time.Time, backoff func(int) time.Duration) error {
	if a.ok() {
		return s.finish(ctx, m, e, a, now, Delivered)
	}
	next := now.Add(backoff(m.Attempts + 1))
	if next.After(m.RetryUntil) {
		return s.finish(ctx, m, e, a, now, Failed)
	}
	return s.db.InTx(ctx, func(tx *database.DB) error {
		if err := tx.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = ?", m.ID, Pending).Updates(map[string]any{
			"attempts": m.Attempts + 1, "next_attempt_at": next, "last_status": a.status, "last_error": cut(a.err),
			"last_latency_ms": a.latency.Milliseconds(), "last_attempt_at": now,
		}).Error; err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		return s.WithTx(tx).endpointFailed(ctx, e, now)
	})
}

// finish records a message's last attempt and its final status.
func (s *Store) finish(ctx context.Context, m *Message, e *Endpoint, a attempt, now time.Time, status string) error {
	attempts := m.Attempts
	if a.status != 0 || a.latency > 0 || status == Delivered {
		attempts++
	}
	return s.db.InTx(ctx, func(tx *database.DB) error {
		if err := tx.WithContext(ctx).Model(&Message{}).Where("id = ? AND status = ?", m.ID, Pending).Updates(map[string]any{
			"status": status, "attempts": attempts, "last_status": a.status, "last_error": cut(a.err),
			"last_latency_ms": a.latency.Milliseconds(), "last_attempt_at": now, "finished_at": now,
		}).Error; err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		if status == Delivered {
			if e.FailingSince == nil {
				return nil
			}
			return tx.WithContext(ctx).Model(&Endpoint{}).Where("id = ?", e.ID).Update("failing_since", nil).Error
		}
		if e.Disabled {
			return nil
		}
		return s.WithTx(tx).endpointFailed(ctx, e, now)
	})
}

// endpointFailed starts or extends the endpoint's failure streak and
// disables it once the streak is DisableAfter long.
func (s *Store) endpointFailed(ctx context.Context, e *Endpoint, now time.Time) error {
	if e.FailingSince == nil {
		return s.db.WithContext(ctx).Model(&Endpoint{}).Where("id = ? AND failing_since IS NULL", e.ID).Update("failing_since", now).Error
	}
	if now.Sub(*e.FailingSince) < DisableAfter {
		return nil
	}
	reason := fmt.Sprintf("every request failed from %s to %s; fix the receiver, then PATCH {\"enabled\": true}", e.FailingSince.UTC().Format(time.RFC3339), now.Format(time.RFC3339))
	return s.db.WithContext(ctx).Model(&Endpoint{}).Where("id = ? AND NOT disabled", e.ID).
		Updates(map[string]any{"disabled": true, "disabled_reason": reason, "updated_at": now}).Error
}

func cut(s string) string {
	if len(s) > maxErrorLength {
		return s[:maxErrorLength]
	}
	return s
}
