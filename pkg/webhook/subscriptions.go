package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
)

// subscriptionTypes maps the subscription events webhooks carry to their types.
var subscriptionTypes = map[string]string{
	subscription.EventCreated: SubscriptionCreated, subscription.EventGone: SubscriptionGone,
	subscription.EventUnsubscribed: SubscriptionUnsub,
}

// SubscriptionData is the data of a subscription.* event.
type SubscriptionData struct {
	SubscriptionID string    `json:"subscription_id"`
	UserID         string    `json:"user_id,omitempty"`
	At             time.Time `json:"at"`
}

// TapSubscriptions is a subscription.Tap: it queues one message per event
// for every enabled endpoint of the event's app receiving its type, in the
// transaction that makes the change. A batch's prunes are one statement,
// so endpoints are loaded once per app and type, not per event.
func (s *Store) TapSubscriptions(ctx context.Context, tx *database.DB, events []subscription.Event) error {
	store := s.WithTx(tx)
	type key struct{ app, typ string }
	wanting := map[key][]Endpoint{}
	var msgs []Message
	for _, ev := range events {
		t, ok := subscriptionTypes[ev.Kind]
		if !ok {
			continue
		}
		k := key{ev.AppID, t}
		endpoints, seen := wanting[k]
		if !seen {
			var err error
			if endpoints, err = store.endpointsWanting(ctx, ev.AppID, t); err != nil {
				return err
			}
			wanting[k] = endpoints
		}
		data := SubscriptionData{SubscriptionID: ev.SubscriptionID, UserID: ev.UserID, At: ev.At.UTC()}
		for i := range endpoints {
			m, err := store.newMessage(&endpoints[i], t, data, ev.At.UTC())
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := tx.WithContext(ctx).CreateInBatches(&msgs, 500).Error; err != nil {
		return fmt.Errorf("queue webhook messages: %w", err)
	}
	return nil
}
