package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// lifecycleFixture is an app with subscriptions whose store tells a
// webhook store, and an endpoint receiving types.
type lifecycleFixture struct {
	*fixture
	hooks    *Store
	subs     *subscription.Store
	endpoint string
}

func newLifecycleFixture(t *testing.T, db *database.DB, types ...string) *lifecycleFixture {
	t.Helper()
	f := setup(t, db)
	hooks := NewStore(db, f.key, policy(t, "http://127.0.0.1:9"))
	e, _, err := hooks.Create(context.Background(), f.appID, "http://127.0.0.1:9/hook", types)
	if err != nil {
		t.Fatal(err)
	}
	return &lifecycleFixture{fixture: f, hooks: hooks, subs: subscription.NewStore(db, hooks.TapSubscriptions), endpoint: e.ID}
}

// subscribe stores a subscription of the app, with user (or none).
func (f *lifecycleFixture) subscribe(t *testing.T, endpoint, user string) string {
	t.Helper()
	ctx := context.Background()
	vk, err := app.NewStore(f.db, f.key).ActiveVAPIDKey(ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	v := &subscription.Valid{Endpoint: endpoint, P256dh: "p", Auth: "a"}
	if user != "" {
		v.UserID = &user
	}
	id, _, err := f.subs.Upsert(ctx, f.appID, vk.ID, v)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// record applies o in a transaction, rolled back when fail is set.
func (f *lifecycleFixture) record(t *testing.T, o subscription.Outcomes, fail bool) {
	t.Helper()
	err := f.db.InTx(context.Background(), func(tx *database.DB) error {
		if err := f.subs.WithTx(tx).RecordOutcomes(context.Background(), o, time.Now().UTC()); err != nil {
			return err
		}
		if fail {
			return errors.New("rolled back")
		}
		return nil
	})
	if fail != (err != nil) {
		t.Fatalf("recording outcomes: %v", err)
	}
}

// waiting lists the events waiting for the endpoint's next batch, as
// "type subscription_id user_id", oldest first.
func (f *lifecycleFixture) waiting(t *testing.T) []string {
	t.Helper()
	var rows []pendingEvent
	if err := f.db.Where("endpoint_id = ?", f.endpoint).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var d SubscriptionData
		if err := json.Unmarshal([]byte(r.Data), &d); err != nil || d.At.IsZero() {
			t.Fatalf("event %s: %v", r.Data, err)
		}
		out[i] = r.EventType + " " + d.SubscriptionID + " " + d.UserID
	}
	return out
}

// Marking subscriptions expired and unresponsive keeps one event each for
// the endpoint's next batch, in the transaction of the change: a rolled
// back change keeps none, a second mark of the same ones none, and none
// becomes a request of its own.
func TestExpiredAndUnresponsiveEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := newLifecycleFixture(t, db, SubscriptionExpired, SubscriptionUnresponsive)
		other, _, err := f.hooks.Create(context.Background(), f.appID, "http://127.0.0.1:9/other", []string{SubscriptionCreated})
		if err != nil {
			t.Fatal(err)
		}
		a := f.subscribe(t, "https://fcm.googleapis.com/fcm/send/a", "u-1")
		b := f.subscribe(t, "https://fcm.googleapis.com/fcm/send/b", "")
		c := f.subscribe(t, "https://fcm.googleapis.com/fcm/send/c", "u-3")
		if _, err := f.subs.Received(context.Background(), f.appID, c, time.Now().UTC().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		// One push without a receipt, judged at once, revokes c.
		o := subscription.Outcomes{Expired: []string{a, b}, Unconfirmed: []string{c}, Revocation: subscription.Revocation{Notifications: 1}}
		f.record(t, o, true)
		if got := f.waiting(t); len(got) != 0 {
			t.Fatalf("a rolled-back change kept events: %q", got)
		}
		f.record(t, o, false)
		f.record(t, o, false) // already neither active: no event
		want := []string{SubscriptionExpired + " " + a + " u-1", SubscriptionExpired + " " + b + " ", SubscriptionUnresponsive + " " + c + " u-3"}
		got := f.waiting(t)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("waiting events\n%q\nwant\n%q", got, want)
		}
		var n int64
		if err := db.Model(&pendingEvent{}).Where("endpoint_id = ?", other.ID).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("an endpoint not receiving these types got %d events (%v)", n, err)
		}
		if err := db.Model(&Message{}).Where("event_type IN ?", []string{SubscriptionExpired, SubscriptionUnresponsive}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d messages of their own (%v); these events are batched", n, err)
		}
		for _, id := range []string{a, b, c} {
			s, err := f.subs.Get(context.Background(), f.appID, id)
			if err != nil {
				t.Fatal(err)
			}
			if wantStatus := map[string]subscription.Status{a: subscription.Expired, b: subscription.Expired, c: subscription.Unresponsive}[id]; s.Status != wantStatus {
				t.Fatalf("%s is %s, want %s", id, s.Status, wantStatus)
			}
		}
		// The next batches carry them: one request per type, each event
		// with its subscription.
		for _, typ := range []string{SubscriptionExpired, SubscriptionUnresponsive} {
			if _, err := f.hooks.batchDue(context.Background(), 0, MaxBatch); err != nil {
				t.Fatal(err)
			}
			var m Message
			if err := db.Where("endpoint_id = ? AND event_type = ?", f.endpoint, typ).Take(&m).Error; err != nil {
				t.Fatalf("no %s batch: %v", typ, err)
			}
			var body struct {
				Type string `json:"type"`
				Data struct {
					Count  int                `json:"count"`
					Events []SubscriptionData `json:"events"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(m.Payload), &body); err != nil || body.Type != typ || body.Data.Count != len(body.Data.Events) {
				t.Fatalf("%s batch %s: %v", typ, m.Payload, err)
			}
			if wantCount := map[string]int{SubscriptionExpired: 2, SubscriptionUnresponsive: 1}[typ]; body.Data.Count != wantCount {
				t.Fatalf("%s batch of %d, want %d: %s", typ, body.Data.Count, wantCount, m.Payload)
			}
		}
	})
}
