package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
)

// subscriptionTypes maps the subscription events webhooks carry to their types.
var subscriptionTypes = map[string]string{
	subscription.EventCreated: SubscriptionCreated, subscription.EventGone: SubscriptionGone,
	subscription.EventUnsubscribed: SubscriptionUnsub, subscription.EventExpired: SubscriptionExpired,
	subscription.EventUnresponsive: SubscriptionUnresponsive, subscription.EventImported: SubscriptionImported,
}

// batchedTypes are the subscription types that wait for their endpoint's
// next batch (batch.go) rather than making a request each: one statement
// moves a hundred subscriptions, a broadcast thousands.
var batchedTypes = map[string]bool{SubscriptionExpired: true, SubscriptionUnresponsive: true}

// SubscriptionData is the data of a subscription.* event, and of each
// event in a batch of them.
type SubscriptionData struct {
	SubscriptionID string    `json:"subscription_id"`
	UserID         string    `json:"user_id,omitempty"`
	At             time.Time `json:"at"`
}

// ImportedData is the data of a subscription.imported event: what one
// committed batch of an import did. The events of one import share its
// import_id (the import's answer names it) and add up to the answer's
// counts; refused counts the lines refused since the import's batch before.
type ImportedData struct {
	ImportID string    `json:"import_id"`
	Created  int64     `json:"created"`
	Updated  int64     `json:"updated"`
	Refused  int64     `json:"refused"`
	At       time.Time `json:"at"`
}

// dataOf is the data of an event of a subscription.* type.
func dataOf(ev subscription.Event) any {
	at := ev.At.UTC()
	if i := ev.Import; i != nil {
		return ImportedData{ImportID: i.ImportID, Created: i.Created, Updated: i.Updated, Refused: i.Refused, At: at}
	}
	return SubscriptionData{SubscriptionID: ev.SubscriptionID, UserID: ev.UserID, At: at}
}

// TapSubscriptions is a subscription.Tap: for every enabled endpoint of
// the event's app receiving its type, it queues one message per event, or
// keeps the event for the endpoint's next batch (batchedTypes), in the
// transaction that makes the change. A batch's prunes are one statement,
// so endpoints are loaded once per app and type, not per event.
func (s *Store) TapSubscriptions(ctx context.Context, tx *database.DB, events []subscription.Event) error {
	store := s.WithTx(tx)
	type key struct{ app, typ string }
	wanting := map[key][]Endpoint{}
	var (
		msgs    []Message
		waiting []pendingEvent
	)
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
		if len(endpoints) == 0 {
			continue
		}
		at, data := ev.At.UTC(), dataOf(ev)
		if batchedTypes[t] {
			b, err := json.Marshal(data)
			if err != nil {
				return fmt.Errorf("webhook event: %w", err)
			}
			for _, e := range endpoints {
				waiting = append(waiting, pendingEvent{ID: uuid.Must(uuid.NewV7()).String(), EndpointID: e.ID, EventType: t, Data: string(b), CreatedAt: at})
			}
			continue
		}
		for i := range endpoints {
			m, err := store.newMessage(&endpoints[i], t, data, at)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
	}
	if len(msgs) > 0 {
		if err := tx.WithContext(ctx).CreateInBatches(&msgs, 500).Error; err != nil {
			return fmt.Errorf("queue webhook messages: %w", err)
		}
	}
	if len(waiting) > 0 {
		if err := tx.WithContext(ctx).CreateInBatches(&waiting, 500).Error; err != nil {
			return fmt.Errorf("queue webhook events: %w", err)
		}
	}
	return nil
}
