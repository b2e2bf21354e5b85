package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
)

// recordAttempt stores an attempt's result and gives the lease back:
// delivered; to try again after backoff(attempts), returned as a
// *RetryError; or failed, when last or once the next attempt would start
// after the retry window. The endpoint's failure streak follows; one
// failing for DisableAfter is disabled.
func (s *Store) recordAttempt(ctx context.Context, m *Message, e *Endpoint, a attempt, now time.Time, backoff func(int) time.Duration, last bool) error {
	if a.ok() {
		return s.finish(ctx, m, e, a, now, Delivered)
	}
	after := backoff(m.Attempts + 1)
	next := now.Add(after)
	if last || next.After(m.RetryUntil) {
		return s.finish(ctx, m, e, a, now, Failed)
	}
	err := s.db.InTx(ctx, func(tx *database.DB) error {
		cols := attemptColumns(a, now)
		cols["attempts"], cols["next_attempt_at"], cols["recent_attempts"] = m.Attempts+1, next, m.withAttempt(a, now)
		if err := updatePending(ctx, tx, m, cols); err != nil {
			return err
		}
		return s.WithTx(tx).endpointFailed(ctx, e, now)
	})
	if err != nil {
		return err
	}
	return &RetryError{Attempt: m.Attempts + 1, After: after, Reason: cut(a.err)}
}

// finish records a message's last attempt and its final status.
func (s *Store) finish(ctx context.Context, m *Message, e *Endpoint, a attempt, now time.Time, status string) error {
	attempts, recent := m.Attempts, m.RecentAttemptsJSON
	// An endpoint disabled before the request: no request was made.
	if a.status != 0 || a.latency > 0 || status == Delivered {
		attempts++
		recent = m.withAttempt(a, now)
	}
	return s.db.InTx(ctx, func(tx *database.DB) error {
		cols := attemptColumns(a, now)
		cols["status"], cols["attempts"], cols["finished_at"], cols["recent_attempts"] = status, attempts, now, recent
		if err := updatePending(ctx, tx, m, cols); err != nil {
			return err
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

// attemptColumns are the columns every recorded attempt sets: its result
// and the lease given back.
func attemptColumns(a attempt, now time.Time) map[string]any {
	return map[string]any{"last_status": a.status, "last_error": cut(a.err),
		"last_latency_ms": a.latency.Milliseconds(), "last_attempt_at": now, "leased_until": nil}
}

// updatePending writes cols to m while it is still the pending round the
// caller leased (a re-send in between starts a round of its own).
func updatePending(ctx context.Context, tx *database.DB, m *Message, cols map[string]any) error {
	err := tx.WithContext(ctx).Model(&Message{}).Where("id = ? AND resends = ? AND status = ?", m.ID, m.Resends, Pending).Updates(cols).Error
	if err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	return nil
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
