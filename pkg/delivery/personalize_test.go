package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
)

// personalised stores subscriptions with the bio attributes given and
// returns their ids and endpoints.
func (f *fixture) personalised(t *testing.T, bios ...string) ([]string, map[string]string) {
	t.Helper()
	ids := f.addSubscriptions(t, len(bios), 0)
	for i, bio := range bios {
		attrs, _ := json.Marshal(map[string]string{"bio": bio})
		if err := f.db.Exec("UPDATE subscriptions SET attributes = ? WHERE id = ?", string(attrs), ids[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	subs, err := subscription.NewStore(f.db).Load(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	endpoints := map[string]string{}
	for _, s := range subs {
		endpoints[s.ID] = s.Endpoint
	}
	return ids, endpoints
}

// One recipient whose attributes render past the payload limit is
// dead-lettered with the reason; the others in its batch get theirs. The
// content is at fault, not the subscription: it stays active with no
// failure counted.
func TestTooLargeRenderingDeadLettersOnlyItsRecipient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	// 500 two-byte characters, the most an attribute holds, four times: past
	// MaxPayloadBytes.
	ids, endpoints := f.personalised(t, strings.Repeat("é", subscription.MaxAttributeValue), "tea", "cake")
	n := f.send(t, notification.Request{Target: notification.Target{SubscriptionIDs: ids},
		Notification: notification.Content{Title: "{{ bio }}{{ bio }}{{ bio }}", Body: "{{ bio }}"}})
	push := &recordingPush{}
	if err := f.boundedDeliverer(push, 4).DeliverBatch(ctx, f.batch(n, ids), n.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.count(endpoints[ids[0]]); got != 0 {
		t.Fatalf("the too large recipient got %d messages", got)
	}
	for _, id := range ids[1:] {
		got := push.payloads()[endpoints[id]]
		var p struct{ Title, Body string }
		if len(got) != 1 || json.Unmarshal(got[0], &p) != nil || p.Body == "" || p.Title != strings.Repeat(p.Body, 3) {
			t.Fatalf("recipient %s got %q", id, got)
		}
	}
	letters, err := deadletter.NewStore(f.db).OpenForNotification(ctx, f.appID, n.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || letters[0].SubscriptionID != ids[0] ||
		!strings.Contains(letters[0].LastError, fmt.Sprintf("at most %d fit", notification.MaxPayloadBytes)) {
		t.Fatalf("dead letters %+v", letters)
	}
	if c := f.counts(t, n.ID); c.Delivered != 2 || c.Dead != 1 {
		t.Fatalf("counted %d delivered, %d dead", c.Delivered, c.Dead)
	}
	subs, err := subscription.NewStore(f.db).Load(ctx, ids[:1])
	if err != nil {
		t.Fatal(err)
	}
	if s := subs[0]; s.Status != subscription.Active || s.ConsecutiveFailures != 0 {
		t.Fatalf("after a content failure the subscription is %s with %d failures", s.Status, s.ConsecutiveFailures)
	}
}

// A personalised notification's templates are compiled once per variant
// and worker, however many batches it has.
func TestTemplatesCompiledOncePerNotification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	bios := make([]string, 6)
	for i := range bios {
		bios[i] = fmt.Sprintf("reader %d", i)
	}
	ids, endpoints := f.personalised(t, bios...)
	n := f.send(t, notification.Request{Target: notification.Target{SubscriptionIDs: ids},
		Variants: []notification.Variant{
			{Name: "a", Weight: 50, Notification: notification.Content{Title: "A {{ bio }}"}},
			{Name: "b", Weight: 50, Notification: notification.Content{Title: "B {{ bio }}"}},
		}})
	push := &recordingPush{}
	d := f.boundedDeliverer(push, 4)
	var compiled atomic.Int64
	delivery.CountCompilations(d, &compiled)
	for seq := range 3 {
		b := delivery.Batch{NotificationID: n.ID, AppID: f.appID, SubscriptionIDs: ids[2*seq : 2*seq+2], Seq: seq, Attempt: 1}
		if err := d.DeliverBatch(ctx, b, n.Priority); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		got := push.payloads()[endpoints[id]]
		if len(got) != 1 || !strings.Contains(string(got[0]), fmt.Sprintf(" reader %d", i)) {
			t.Fatalf("recipient %d got %q", i, got)
		}
	}
	if got := compiled.Load(); got != 2 {
		t.Fatalf("compiled %d renderers over 3 batches of 2 variants, want 2", got)
	}
}
