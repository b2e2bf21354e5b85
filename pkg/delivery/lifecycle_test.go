package delivery_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushsend"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
)

// recordingService accepts every message and keeps each endpoint's payload.
type recordingService struct {
	mu   sync.Mutex
	sent map[string][]byte
}

func (r *recordingService) Send(_ context.Context, m pushsend.Message) pushsend.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent[m.Endpoint] = m.Payload
	return pushsend.Result{Outcome: pushsend.Delivered, Status: 201}
}

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

	n, _, err := notification.NewService(f.db, noEnqueue{}, nil, testkit.Logger(t)).Create(ctx, f.appID, "", notification.Request{
		Target: notification.Target{SubscriptionIDs: ids}, Notification: notification.Content{Title: "hi", URL: "https://shop.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	push := &recordingService{sent: map[string][]byte{}}
	d := delivery.NewDeliverer(delivery.DelivererConfig{DB: f.db, Jobs: f.jobs, Apps: f.apps,
		Sends: inflight.NewScheduler(inflight.SchedulerConfig{Sender: push, Min: 4, Max: 4})})
	if err := d.DeliverBatch(ctx, delivery.Batch{NotificationID: n.ID, AppID: f.appID, SubscriptionIDs: ids, Seq: 1, Attempt: 1}, n.Priority); err != nil {
		t.Fatal(err)
	}
	if len(push.sent) != 2 {
		t.Fatalf("sent to %d endpoints, want 2 (not the expired one)", len(push.sent))
	}
	for endpoint, body := range push.sent {
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
