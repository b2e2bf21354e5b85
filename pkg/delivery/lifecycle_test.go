package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// One batch, push service by push service: Apple's endpoint gets the
// declarative payload (format auto), FCM's the standard one; a subscription
// past its expirationTime is not sent to, counts as gone and becomes
// expired; a delivered push to a browser that reports receipts counts
// toward silent revocation.
func TestDeliverBatchPerServiceAndExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	ids := f.addSubscriptions(t, 3, 0)
	apple, fcm, expired := ids[0], ids[1], ids[2]
	past, received := time.Now().Add(-time.Minute).UTC(), time.Now().Add(-time.Hour).UTC()
	f.db.Model(&subscription.Subscription{}).Where("id = ?", apple).
		Updates(map[string]any{"endpoint": "https://web.push.apple.com/QGlk", "last_received_at": received})
	f.db.Model(&subscription.Subscription{}).Where("id = ?", expired).Update("expiration_time", past)

	n := f.send(t, notification.Request{
		Target: notification.Target{SubscriptionIDs: ids}, Notification: notification.Content{Title: "hi", URL: "https://shop.example/"}})
	push := &recordingPush{}
	if err := f.boundedDeliverer(push, 4).DeliverBatch(ctx, f.batch(n, ids), n.Priority); err != nil {
		t.Fatal(err)
	}
	sent := push.payloads()
	if len(sent) != 2 {
		t.Fatalf("sent to %d endpoints, want 2 (not the expired one)", len(sent))
	}
	for endpoint, bodies := range sent {
		body := bodies[len(bodies)-1]
		var p map[string]any
		json.Unmarshal(body, &p)
		_, declarative := p["web_push"]
		if strings.Contains(endpoint, "apple.com") != declarative {
			t.Errorf("%s got %s", endpoint, body)
		}
	}
	subs, _ := subscription.NewStore(f.db).Load(ctx, ids)
	byID := map[string]subscription.Subscription{}
	for _, s := range subs {
		byID[s.ID] = s
	}
	if s := byID[expired]; s.Status != subscription.Expired {
		t.Errorf("expired subscription: %s", s.Status)
	}
	if s := byID[apple]; s.UnreceivedCount != 1 || s.UnreceivedSince == nil || s.Status != subscription.Active {
		t.Errorf("reporting browser after one push: count %d since %v status %s", s.UnreceivedCount, s.UnreceivedSince, s.Status)
	}
	if s := byID[fcm]; s.UnreceivedCount != 0 {
		t.Errorf("a browser that never reported is counted: %d", s.UnreceivedCount)
	}
	var gone int64
	f.db.Table("deliveries").Where("notification_id = ? AND status = ?", n.ID, delivery.StatusGone).Count(&gone)
	if gone != 1 {
		t.Errorf("%d gone outcomes, want 1 (the expired subscription)", gone)
	}
}
