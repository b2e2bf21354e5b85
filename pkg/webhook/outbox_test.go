package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// clock is a settable time for the store and dispatcher.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func (f *fixture) dispatcher(t *testing.T, r *receiver, base time.Duration) *Dispatcher {
	t.Helper()
	return NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Jobs: f.queue(t), Origins: policy(t, r.URL), BackoffBase: base, BackoffMax: 8 * base})
}

// A failing endpoint is tried again with growing delays, each request
// signed so the reference library verifies it, until it answers 2xx; the
// attempts are listed with their statuses.
func TestOutboxRetriesWithBackoffUntilDelivered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		r := newReceiver(t, 500, 500, 503, 500)
		const base = 100 * time.Millisecond
		d := f.dispatcher(t, r, base)
		ctx := context.Background()
		e, secret := f.completedTo(t, d, r.URL+"/hook")
		deadline := time.Now().Add(20 * time.Second)
		for r.count() < 5 && time.Now().Before(deadline) {
			if err := f.work(t, d); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n := r.count(); n != 5 {
			t.Fatalf("%d requests, want 4 failures and a success", n)
		}
		verifier, _ := standardwebhooks.NewWebhook(secret)
		for i, req := range r.requests {
			if err := verifier.Verify(r.bodies[i], req.Header); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if req.Header.Get("webhook-id") != r.requests[0].Header.Get("webhook-id") {
				t.Fatal("a retry changed the webhook-id")
			}
		}
		for i := 1; i < len(r.at); i++ {
			gap, least := r.at[i].Sub(r.at[i-1]), time.Duration(float64(base<<(i-1))*0.8)
			if gap < least {
				t.Errorf("attempt %d came %s after the previous one; backoff wants at least %s", i+1, gap, least)
			}
		}
		var body struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(r.bodies[4], &body); err != nil || body.Type != NotificationCompleted || body.Data["n"] != 1.0 {
			t.Fatalf("body %s: %v", r.bodies[4], err)
		}
		msgs, _, _ := d.store.Messages(ctx, f.appID, e.ID, pageOf(10))
		if len(msgs) != 1 || msgs[0].Status != Delivered || msgs[0].Attempts != 5 || msgs[0].LastStatus != 204 {
			t.Fatalf("messages %+v", msgs)
		}
		if got, _ := d.store.Get(ctx, f.appID, e.ID); got.FailingSince != nil {
			t.Fatal("a success left the endpoint failing")
		}
	})
}

// A message whose retry window ends is failed; an endpoint failing for
// DisableAfter is disabled and says why; a failed message can be re-sent.
func TestOutboxGivesUpAndDisables(t *testing.T) {
	t.Parallel()
	f := setup(t, dbtest.Postgres(t))
	r := newReceiver(t, 500, 500)
	d := f.dispatcher(t, r, time.Hour)
	c := &clock{t: time.Now().UTC()}
	d.now, d.store.now = c.now, c.now
	ctx := context.Background()
	e, _, err := d.store.Create(ctx, f.appID, r.URL+"/hook", []string{NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	f.work(t, d)
	c.add(RetryWindow) // the next attempt would start after the window
	if err := f.db.Exec("UPDATE webhook_messages SET next_attempt_at = ?", c.now()).Error; err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	f.work(t, d)
	msgs, _, _ := d.store.Messages(ctx, f.appID, e.ID, pageOf(10))
	if len(msgs) != 1 || msgs[0].Status != Failed || msgs[0].Attempts != 2 {
		t.Fatalf("after the window: %+v", msgs)
	}
	got, _ := d.store.Get(ctx, f.appID, e.ID)
	if got.Disabled || got.FailingSince == nil {
		t.Fatalf("one day of failures: %+v", got)
	}
	c.add(DisableAfter)
	if _, err := d.store.Resend(ctx, f.appID, e.ID, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	f.work(t, d) // answered 200 by now: the streak ends
	if got, _ := d.store.Get(ctx, f.appID, e.ID); got.FailingSince != nil || got.Disabled {
		t.Fatalf("after a success: %+v", got)
	}
	r.mu.Lock()
	r.fail = []int{500, 500}
	r.mu.Unlock()
	d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{})
	f.work(t, d)
	c.add(DisableAfter + time.Minute)
	f.db.Exec("UPDATE webhook_messages SET next_attempt_at = ? WHERE status = 'pending'", c.now())
	f.work(t, d)
	got, _ = d.store.Get(ctx, f.appID, e.ID)
	if !got.Disabled || got.DisabledReason == "" {
		t.Fatalf("three days of failures: %+v", got)
	}
	if err := d.store.Emit(ctx, f.appID, NotificationCompleted, map[string]any{}); err != nil {
		t.Fatal(err)
	}
	before := r.count()
	f.work(t, d)
	if r.count() != before {
		t.Fatal("a disabled endpoint got an event")
	}
}

// Clicks wait for their endpoint's batch: one request per BatchEvery with
// up to BatchSize events, oldest first, none lost or repeated.
func TestEngagementGoesOutInBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f := setup(t, db)
		r := newReceiver(t)
		d := NewDispatcher(DispatcherConfig{DB: f.db, Key: f.key, Jobs: f.queue(t), Origins: policy(t, r.URL), BatchSize: 100})
		c := &clock{t: time.Now().UTC()}
		d.now, d.store.now = c.now, c.now
		ctx := context.Background()
		if _, _, err := d.store.Create(ctx, f.appID, r.URL+"/hook", []string{NotificationClicked}); err != nil {
			t.Fatal(err)
		}
		const clicks = 250
		err := db.InTx(ctx, func(tx *database.DB) error {
			for i := range clicks {
				e := engagement.Event{NotificationID: fmt.Sprintf("n-%04d", i), Type: engagement.Clicked, Action: "open"}
				if err := d.store.TapEngagement(ctx, tx, f.appID, e, c.now()); err != nil {
					return err
				}
			}
			// Dismissals go to endpoints that asked for them: none here.
			return d.store.TapEngagement(ctx, tx, f.appID, engagement.Event{NotificationID: "x", Type: engagement.Dismissed}, c.now())
		})
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		seen := map[string]bool{}
		for second := range 4 {
			before := r.count()
			for range 3 { // ticks within one second make one batch
				if err := f.work(t, d); err != nil {
					t.Fatal(err)
				}
			}
			if want := min(1, 3-second); r.count()-before != want {
				t.Fatalf("second %d: %d requests, want %d", second, r.count()-before, want)
			}
			c.add(time.Second)
		}
		for _, b := range r.bodies {
			var body struct {
				Type string    `json:"type"`
				Data BatchData `json:"data"`
			}
			if err := json.Unmarshal(b, &body); err != nil || body.Type != NotificationClicked {
				t.Fatalf("body %.200s: %v", b, err)
			}
			sizes = append(sizes, body.Data.Count)
			for _, raw := range body.Data.Events {
				var ev EngagementEvent
				json.Unmarshal(raw, &ev)
				if seen[ev.NotificationID] || ev.Type != engagement.Clicked || ev.Action != "open" {
					t.Fatalf("event %s repeated or wrong", raw)
				}
				seen[ev.NotificationID] = true
			}
		}
		if fmt.Sprint(sizes) != "[100 100 50]" || len(seen) != clicks {
			t.Fatalf("batches %v carrying %d distinct clicks", sizes, len(seen))
		}
	})
}
