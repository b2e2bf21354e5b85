package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/subscription"
)

// engagementTypes maps the engagement kinds webhooks carry to their types.
var engagementTypes = map[string]string{engagement.Clicked: NotificationClicked, engagement.Dismissed: NotificationDismissed}

// EngagementEvent is one click or dismissal in a batch.
type EngagementEvent struct {
	Type           string    `json:"type"` // clicked or dismissed
	NotificationID string    `json:"notification_id"`
	Action         string    `json:"action,omitempty"`          // the action button, "" for the notification itself
	SubscriptionID string    `json:"subscription_id,omitempty"` // when the browser said which endpoint it is
	UserID         string    `json:"user_id,omitempty"`
	At             time.Time `json:"at"`
}

// TapEngagement is an engagement.Tap: it keeps a counted click or dismissal
// for the next batch of every enabled endpoint of the app receiving its
// type, in the transaction that counts it.
func (s *Store) TapEngagement(ctx context.Context, tx *database.DB, appID string, e engagement.Event, at time.Time) error {
	t, ok := engagementTypes[e.Type]
	if !ok {
		return nil
	}
	store := s.WithTx(tx)
	endpoints, err := store.endpointsWanting(ctx, appID, t)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	ev := EngagementEvent{Type: e.Type, NotificationID: e.NotificationID, Action: e.Action, At: at}
	if e.Endpoint != "" {
		subs := subscription.NewStore(tx)
		id, err := subs.IDByEndpoint(ctx, appID, e.Endpoint)
		switch {
		case errors.Is(err, subscription.ErrUnknownEndpoint):
		case err != nil:
			return err
		default:
			ev.SubscriptionID = id
			if sub, err := subs.Get(ctx, appID, id); err == nil && sub.UserID != nil {
				ev.UserID = *sub.UserID
			}
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("webhook event: %w", err)
	}
	rows := make([]pendingEvent, len(endpoints))
	for i, ep := range endpoints {
		rows[i] = pendingEvent{ID: uuid.Must(uuid.NewV7()).String(), EndpointID: ep.ID, EventType: t, Data: string(b), CreatedAt: at}
	}
	if err := tx.WithContext(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("queue webhook events: %w", err)
	}
	return nil
}
