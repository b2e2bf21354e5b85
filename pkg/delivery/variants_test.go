package delivery_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit"
)

// An A/B notification with weights 50/30/20 over 10,000 subscriptions
// splits within ±2% of the weights; a batch run again (its outcomes lost,
// as after a crash) sends every subscription the same variant; the counts
// per variant add up to the totals.
func TestVariantsSplitByWeightAndStayPut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	const total = 10000
	ids := f.addSubscriptions(t, total, 0)
	svc := notification.NewService(f.db, noEnqueue{}, nil, testkit.Logger(t))
	n := f.send(t, notification.Request{
		Target:       notification.Target{All: true},
		Notification: notification.Content{Body: "shared body"},
		Variants: []notification.Variant{
			{Name: "a", Weight: 50, Notification: notification.Content{Title: "A"}},
			{Name: "b", Weight: 30, Notification: notification.Content{Title: "B"}},
			{Name: "c", Weight: 20, Notification: notification.Content{Title: "C", Body: "own body"}},
		}})
	if err := f.db.Exec("UPDATE notifications SET status = 'sending', targeted = ?, fanout_done = TRUE WHERE id = ?", total, n.ID).Error; err != nil {
		t.Fatal(err)
	}
	push := &recordingPush{}
	d := f.boundedDeliverer(push, 32)
	// titles is the title of each message each endpoint got, in order.
	titles := func() map[string][]string {
		out := map[string][]string{}
		for endpoint, bodies := range push.payloads() {
			for _, b := range bodies {
				var p struct{ Title string }
				json.Unmarshal(b, &p)
				out[endpoint] = append(out[endpoint], p.Title)
			}
		}
		return out
	}
	deliverAll := func() {
		for start := 0; start < total; start += 500 {
			b := delivery.Batch{NotificationID: n.ID, AppID: f.appID, SubscriptionIDs: ids[start : start+500], Seq: start / 500, Attempt: 1}
			if err := d.DeliverBatch(ctx, b, n.Priority); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliverAll()
	byTitle := map[string]int{}
	for _, ts := range titles() {
		byTitle[ts[0]]++
	}
	for title, weight := range map[string]float64{"A": 0.5, "B": 0.3, "C": 0.2} {
		if share := float64(byTitle[title]) / total; math.Abs(share-weight) > 0.02 {
			t.Errorf("variant %s got %.3f of the recipients, weight %.2f", title, share, weight)
		}
	}
	t.Logf("split %v", byTitle)
	perVariant, err := svc.VariantCounts(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"A", "B", "C"} {
		if perVariant[i].Delivered != int64(byTitle[title]) {
			t.Fatalf("variant %s counted %d delivered, sent %d", title, perVariant[i].Delivered, byTitle[title])
		}
	}

	// Lose the recorded outcomes of the first 1,000 and run their batches again.
	if err := f.db.Exec("DELETE FROM deliveries WHERE notification_id = ? AND subscription_id IN ?", n.ID, ids[:1000]).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec("DELETE FROM notification_counts WHERE notification_id = ?", n.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec("DELETE FROM notification_variant_counts WHERE notification_id = ?", n.ID).Error; err != nil {
		t.Fatal(err)
	}
	deliverAll() // sends only the 1,000 again; counts them anew
	again := 0
	for endpoint, ts := range titles() {
		if len(ts) == 2 {
			again++
			if ts[0] != ts[1] {
				t.Fatalf("%s got variant %s, then %s when its batch ran again", endpoint, ts[0], ts[1])
			}
		}
	}
	if again != 1000 {
		t.Fatalf("%d subscriptions sent again, want 1000", again)
	}

	got, err := svc.Get(ctx, f.appID, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if perVariant, err = svc.VariantCounts(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	var sum notification.Counts
	for _, c := range perVariant {
		sum.Delivered += c.Delivered
		sum.Gone += c.Gone
		sum.Dead += c.Dead
		sum.Capped += c.Capped
	}
	if want := (notification.Counts{Delivered: got.Delivered, Gone: got.Gone, Dead: got.Dead, Capped: got.Capped}); sum != want || want.Delivered != 1000 {
		t.Fatalf("variant counts add up to %+v, totals %+v", sum, want)
	}
}
