package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// completeWithDead stores a notification to targeted subscriptions whose
// delivered ones succeeded and whose dead ones were dead-lettered with
// the given statuses, and completes it.
func (f *fixture) completeWithDead(t *testing.T, delivered int64, dead []int) *notification.Notification {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	n := &notification.Notification{ID: uuid.Must(uuid.NewV7()).String(), AppID: f.appID, Status: notification.Sending,
		TargetKind: notification.TargetAll, TargetValues: "[]", Payload: "{}", TTL: 60, Priority: notification.Bulk,
		Targeted: delivered + int64(len(dead)), FanoutDone: true, CreatedAt: now, UpdatedAt: now}
	if err := f.db.Create(n).Error; err != nil {
		t.Fatal(err)
	}
	letters := make([]deadletter.DeadLetter, len(dead))
	for i, status := range dead {
		letters[i] = deadletter.DeadLetter{AppID: f.appID, NotificationID: n.ID, SubscriptionID: uuid.Must(uuid.NewV7()).String(),
			Attempts: 3, LastStatus: status, LastError: "push service said " + http.StatusText(status), CreatedAt: now}
	}
	err := f.db.InTx(ctx, func(tx *database.DB) error {
		if err := deadletter.NewStore(tx).Add(ctx, letters); err != nil {
			return err
		}
		return notification.NewStore(tx).AddCounts(ctx, n.ID, 0, notification.Counts{Delivered: delivered, Dead: int64(len(dead))})
	})
	if err != nil {
		t.Fatal(err)
	}
	if done, err := notification.NewStore(f.db).CompleteIfDone(ctx, n.ID); err != nil || !done {
		t.Fatalf("complete: %v %v", done, err)
	}
	return n
}

// hooked returns an app with one endpoint receiving events (sent only
// when f.work runs), its receiver, the dispatcher and the endpoint's secret.
func hooked(t *testing.T, db *database.DB, events ...string) (*fixture, *receiver, *Dispatcher, string) {
	t.Helper()
	f := setup(t, db)
	r := newReceiver(t)
	d := f.dispatcher(t, r, time.Hour)
	_, secret, err := d.store.Create(context.Background(), f.appID, r.URL+"/hook", events)
	if err != nil {
		t.Fatal(err)
	}
	return f, r, d, secret
}

// A completion that left dead letters is followed by one
// notification.failed summarising them (counts by status and error, the
// subscriptions), signed like every request; a clean completion sends none.
func TestNotificationFailedSummarisesDeadLetters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f, r, d, secret := hooked(t, db, NotificationFailed)
		clean := f.completeWithDead(t, 2, nil)
		failed := f.completeWithDead(t, 1, []int{500, 429, 500})
		if err := f.work(t, d); err != nil {
			t.Fatal(err)
		}
		if n := r.count(); n != 1 {
			t.Fatalf("%d requests, want one notification.failed (of %s, none of %s)", n, failed.ID, clean.ID)
		}
		verifier, _ := standardwebhooks.NewWebhook(secret)
		if err := verifier.Verify(r.bodies[0], r.requests[0].Header); err != nil {
			t.Fatal(err)
		}
		var body struct {
			Type string     `json:"type"`
			Data FailedData `json:"data"`
		}
		if err := json.Unmarshal(r.bodies[0], &body); err != nil {
			t.Fatal(err)
		}
		got := body.Data
		if body.Type != NotificationFailed || got.NotificationID != failed.ID || got.Dead != 3 || len(got.Subscriptions) != 3 ||
			got.Counts.Delivered != 1 || got.Counts.Dead != 3 || got.CompletedAt == nil {
			t.Fatalf("event %s", r.bodies[0])
		}
		if len(got.Reasons) != 2 || got.Reasons[0].LastStatus != 500 || got.Reasons[0].Count != 2 ||
			got.Reasons[1].LastStatus != 429 || got.Reasons[1].Count != 1 || got.Reasons[1].Error == "" {
			t.Fatalf("reasons %+v", got.Reasons)
		}
		// Announced once: the next round sends nothing new.
		if err := f.work(t, d); err != nil || r.count() != 1 {
			t.Fatalf("again: %d requests, %v", r.count(), err)
		}
	})
}
