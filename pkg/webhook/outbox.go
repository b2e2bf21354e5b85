package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/listing"
)

// newMessage builds a pending message of type t carrying data, due now.
func (s *Store) newMessage(e *Endpoint, t string, data any, at time.Time) (Message, error) {
	body, err := json.Marshal(envelope{Type: t, Timestamp: at, Data: data})
	if err != nil {
		return Message{}, fmt.Errorf("webhook payload: %w", err)
	}
	now := s.now()
	return Message{
		ID: uuid.Must(uuid.NewV7()).String(), AppID: e.AppID, EndpointID: e.ID, EventType: t, Payload: string(body),
		Status: Pending, NextAttemptAt: now, RetryUntil: now.Add(RetryWindow), CreatedAt: now,
	}, nil
}

// Emit queues an event of type t for every enabled endpoint of the app
// that receives it. Run it in the transaction of what the event reports
// (WithTx): the event exists exactly when that commits.
func (s *Store) Emit(ctx context.Context, appID, t string, data any) error {
	endpoints, err := s.endpointsWanting(ctx, appID, t)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	msgs := make([]Message, 0, len(endpoints))
	for i := range endpoints {
		m, err := s.newMessage(&endpoints[i], t, data, s.now())
		if err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if err := s.db.WithContext(ctx).Create(&msgs).Error; err != nil {
		return fmt.Errorf("queue webhook messages: %w", err)
	}
	return nil
}

// SendTest queues a webhook.test message to one endpoint, enabled or not
// (a test is how to check a disabled one is fixed).
func (s *Store) SendTest(ctx context.Context, appID, id string) (*Message, error) {
	e, err := s.Get(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	m, err := s.newMessage(e, Test, map[string]any{"endpoint_id": e.ID, "sent_at": now}, now)
	if err != nil {
		return nil, err
	}
	if err := s.db.WithContext(ctx).Create(&m).Error; err != nil {
		return nil, fmt.Errorf("queue webhook test: %w", err)
	}
	return &m, nil
}

// Messages returns a page of an endpoint's messages, newest first.
func (s *Store) Messages(ctx context.Context, appID, endpointID string, p listing.Page) ([]Message, string, error) {
	e, err := s.Get(ctx, appID, endpointID)
	if err != nil {
		return nil, "", err
	}
	q := s.db.WithContext(ctx).Where("endpoint_id = ?", e.ID)
	return listing.Keyset(q, p, listing.Order{Column: "id", Desc: true, ID: "a webhook delivery id"}, "webhook deliveries",
		func(m Message) string { return m.ID })
}

// Resend tries a finished message (failed, or delivered) again from now,
// with a fresh retry window: the relay hands it over again, in its next
// round, and it is delivered like a new message.
func (s *Store) Resend(ctx context.Context, appID, endpointID, id string) (*Message, error) {
	e, err := s.Get(ctx, appID, endpointID)
	if err != nil {
		return nil, err
	}
	m, err := database.TakeID[Message](s.db.WithContext(ctx).Where("endpoint_id = ?", e.ID), id, ErrMessageNotFound, "webhook delivery")
	if err != nil {
		return nil, err
	}
	if m.Status == Pending {
		return nil, ErrMessagePending
	}
	now := s.now()
	res := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND status <> ?", m.ID, Pending).Updates(map[string]any{
		"status": Pending, "next_attempt_at": now, "retry_until": now.Add(RetryWindow), "finished_at": nil,
		"resends": gorm.Expr("resends + 1"), "handed_over_at": nil, "leased_until": nil,
	})
	if res.Error != nil {
		return nil, fmt.Errorf("resend webhook delivery: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrMessagePending
	}
	m.Status, m.NextAttemptAt, m.RetryUntil, m.FinishedAt = Pending, now, now.Add(RetryWindow), nil
	m.Resends, m.HandedOverAt, m.LeasedUntil = m.Resends+1, nil, nil
	return m, nil
}
