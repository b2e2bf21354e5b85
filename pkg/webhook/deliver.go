package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
)

// Task is what the job queue carries for a message: its id and the round it
// was handed over in (Message.Resends).
type Task struct {
	MessageID string
	Resends   int
}

// RetryError is a failed attempt the job queue is to try again after After:
// the backoff, chosen (with its jitter) when the attempt was recorded, so
// the next attempt listed and the one made agree.
type RetryError struct {
	Attempt int
	After   time.Duration
	Reason  string
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("webhook attempt %d failed (%s); next in %s", e.Attempt, e.Reason, e.After.Round(time.Millisecond))
}

// ErrInFlight is returned for a message another worker is sending now (its
// task came twice): the job queue tries it again later, by when that
// worker has recorded its attempt, or its lease has run out.
var ErrInFlight = errors.New("webhook: another worker is sending this message")

// leaseMargin is how long past the request timeout a message's lease
// lasts: its recording.
const leaseMargin = 20 * time.Second

// Deliver makes one attempt at the task's message: the job queue's handler
// calls it (at least once per attempt: a task may come twice). A message
// delivered or failed, re-sent since (a later round) or deleted with its
// endpoint is not sent again; one another worker holds is ErrInFlight.
// After a failed attempt it returns a *RetryError, unless last (the job
// queue's final try) or the next attempt would come after the message's
// retry window: then the message is recorded failed and Deliver returns
// nil.
func (d *Dispatcher) Deliver(ctx context.Context, t Task, last bool) error {
	m, err := d.store.lease(ctx, t, d.cfg.Timeout+leaseMargin)
	if err != nil || m == nil {
		return err
	}
	record := context.WithoutCancel(ctx)
	e, err := d.store.endpointOf(ctx, m)
	if err != nil {
		d.store.release(record, m)
		return err
	}
	if e == nil {
		return nil // deleted since: its messages went with it
	}
	if e.Disabled && m.EventType != Test {
		return d.store.finish(record, m, e, attempt{err: "endpoint disabled: " + e.DisabledReason}, d.now(), Failed)
	}
	a := d.send(ctx, m, e)
	if ctx.Err() != nil && !a.ok() {
		// Cut off by shutdown: not an attempt; the task runs again.
		d.store.release(record, m)
		return fmt.Errorf("webhook request cut off: %w", ctx.Err())
	}
	return d.store.recordAttempt(record, m, e, a, d.now(), d.backoff, last)
}

// lease takes the task's message for the request and its recording, so
// that a twin of the task (at-least-once delivery) finds it taken; nil if
// there is nothing to send.
func (s *Store) lease(ctx context.Context, t Task, hold time.Duration) (*Message, error) {
	now := s.now()
	var out []Message
	err := s.db.WithContext(ctx).Raw(`UPDATE webhook_messages SET leased_until = ?
		WHERE id = ? AND resends = ? AND status = ? AND (leased_until IS NULL OR leased_until <= ?)
		RETURNING *`, now.Add(hold), t.MessageID, t.Resends, Pending, now).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("lease webhook message %s: %w", t.MessageID, err)
	}
	if len(out) == 1 {
		return &out[0], nil
	}
	var m Message
	err = s.db.WithContext(ctx).Select("status", "resends", "leased_until").Where("id = ?", t.MessageID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load webhook message %s: %w", t.MessageID, err)
	}
	if m.Status == Pending && m.Resends == t.Resends && m.LeasedUntil != nil && m.LeasedUntil.After(now) {
		return nil, ErrInFlight
	}
	return nil, nil // finished, or re-sent under a later round
}

// release gives a lease back without recording an attempt.
func (s *Store) release(ctx context.Context, m *Message) {
	s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND resends = ?", m.ID, m.Resends).Update("leased_until", nil)
}

// endpointOf loads m's endpoint; nil if it was deleted.
func (s *Store) endpointOf(ctx context.Context, m *Message) (*Endpoint, error) {
	e, err := database.TakeID[Endpoint](s.db.WithContext(ctx), m.EndpointID, ErrNotFound, "webhook endpoint")
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return e, err
}
