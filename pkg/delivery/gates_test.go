package delivery_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/delivery"
	"github.com/heraldpush/herald/pkg/fleetlimit"
	"github.com/heraldpush/herald/pkg/inflight"
	"github.com/heraldpush/herald/pkg/jobqueue"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
)

// clock is a controlled clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// addPeople stores n subscriptions in timezone tz (user ids user-0.. when
// withUser), and returns ids and endpoints.
func (f *fixture) addPeople(t *testing.T, n int, tz string, user string) (ids, endpoints []string) {
	t.Helper()
	now := time.Now().UTC()
	for range n {
		id := uuid.Must(uuid.NewV7()).String()
		s := subscription.Subscription{ID: id, AppID: f.appID, VAPIDKeyID: f.keyID, Timezone: tz,
			Endpoint: "https://fcm.googleapis.com/fcm/send/" + id, P256dh: "k", Auth: "a",
			Status: subscription.Active, CreatedAt: now, UpdatedAt: now}
		if user != "" {
			u := user
			s.UserID = &u
		}
		if err := f.db.Create(&s).Error; err != nil {
			t.Fatal(err)
		}
		ids, endpoints = append(ids, id), append(endpoints, s.Endpoint)
	}
	return ids, endpoints
}

// settings sets the app's settings.
func (f *fixture) settings(t *testing.T, s app.Settings) {
	t.Helper()
	if _, err := f.apps.Update(context.Background(), f.appID, app.Update{Settings: &s}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deliverer(push inflight.Sender, now func() time.Time) *delivery.Deliverer {
	return delivery.NewDeliverer(delivery.DelivererConfig{DB: f.db, Jobs: f.jobs, Apps: f.apps, Now: now,
		Retry:  delivery.RetryPolicy{MaxAttempts: 3, Base: time.Second, Max: time.Minute},
		Sends:  inflight.NewScheduler(inflight.SchedulerConfig{Sender: push, Min: 8, Max: 8}),
		Limits: fleetlimit.New(f.rdb)})
}

func (f *fixture) send(t *testing.T, req notification.Request) *notification.Notification {
	t.Helper()
	n, _, err := notification.NewService(f.db, noEnqueue{}, nil, testkit.Logger(t)).Create(context.Background(), f.appID, "", req)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) counts(t *testing.T, id string) *notification.Notification {
	t.Helper()
	n, err := notification.NewStore(f.db).Get(context.Background(), f.appID, id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waiting returns the batches queued to wait for n, by due time.
func (f *fixture) waiting(t *testing.T, n *notification.Notification) []jobqueue.TaskInfo {
	t.Helper()
	return f.scheduled(t, n, "wait:"+n.ID)
}

// scheduled returns the tasks on n's queue due later whose id starts with
// prefix, by due time.
func (f *fixture) scheduled(t *testing.T, n *notification.Notification, prefix string) []jobqueue.TaskInfo {
	t.Helper()
	all, err := jobqueue.NewInspector(f.rdb).Scheduled(jobqueue.QueueFor(n.Priority), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []jobqueue.TaskInfo
	for _, ti := range all {
		if strings.HasPrefix(ti.ID, prefix) {
			out = append(out, ti)
		}
	}
	return out
}

// Quiet hours 22:00-08:00 hold a promotional message for recipients inside
// them (their own time zone, or the app's for those without one) until the
// window ends there, and let a time-sensitive one and an urgent one through;
// what waits counts as pending; at 07:59 it waits on, at 08:00 it goes.
func TestQuietHoursHoldUntilTheWindowEnds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	newYorkTZ := app.Timezone("America/New_York")
	f.settings(t, app.Settings{QuietHours: &app.QuietHours{Start: "22:00", End: "08:00"}, DefaultTimezone: &newYorkTZ})
	berlinIDs, berlin := f.addPeople(t, 3, "Europe/Berlin", "")
	defaultIDs, newYork := f.addPeople(t, 2, "", "")
	all := append(append([]string{}, berlinIDs...), defaultIDs...)
	berlinTZ, _ := time.LoadLocation("Europe/Berlin")
	clk := &clock{now: time.Date(2026, 12, 1, 22, 30, 0, 0, berlinTZ)} // 16:30 in New York
	push := &recordingPush{}
	d := f.deliverer(push, clk.Now)

	promo := f.send(t, notification.Request{Target: notification.Target{SubscriptionIDs: all}, Notification: notification.Content{Title: "sale"}})
	if err := d.DeliverBatch(ctx, f.batch(promo, all), promo.Priority); err != nil {
		t.Fatal(err)
	}
	if push.count(newYork...) != 2 || push.count(berlin...) != 0 {
		t.Fatalf("at 22:30 in Berlin: %d to New York (want 2), %d to Berlin (want 0)", push.count(newYork...), push.count(berlin...))
	}
	setTargeted(t, f, promo.ID, 5)
	if n := f.counts(t, promo.ID); n.Pending() != 3 || n.Delivered != 2 {
		t.Fatalf("held messages: pending %d delivered %d, want 3 and 2", n.Pending(), n.Delivered)
	}
	waits := f.waiting(t, promo)
	if len(waits) != 1 {
		t.Fatalf("%d batches waiting, want 1", len(waits))
	}
	// Due when the window ends in Berlin (07:00Z), counted from the clock
	// the batch ran at: 9h30 after it.
	if due := time.Until(waits[0].NextProcessAt); due < 9*time.Hour+29*time.Minute || due > 9*time.Hour+31*time.Minute {
		t.Fatalf("held batch due in %s, want 9h30m", due)
	}
	held, _ := jobqueue.DecodeBatch(waits[0].Payload)

	for _, req := range []notification.Request{
		{Target: notification.Target{SubscriptionIDs: berlinIDs}, Notification: notification.Content{Title: "your train leaves"}, TimeSensitive: true},
		{Target: notification.Target{SubscriptionIDs: berlinIDs}, Notification: notification.Content{Title: "fraud alert"}, Urgency: "high"},
	} {
		n := f.send(t, req)
		if err := d.DeliverBatch(ctx, f.batch(n, berlinIDs), n.Priority); err != nil {
			t.Fatal(err)
		}
	}
	if got := push.count(berlin...); got != 6 {
		t.Fatalf("time-sensitive and urgent: %d messages to Berlin, want 6", got)
	}

	clk.Set(time.Date(2026, 12, 2, 7, 59, 0, 0, berlinTZ))
	if err := d.DeliverBatch(ctx, held, promo.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.count(berlin...); got != 6 {
		t.Fatalf("at 07:59 the promotion went out (%d messages to Berlin)", got)
	}
	clk.Set(time.Date(2026, 12, 2, 8, 0, 0, 0, berlinTZ))
	if err := d.DeliverBatch(ctx, held, promo.Priority); err != nil {
		t.Fatal(err)
	}
	if got := push.count(berlin...); got != 9 {
		t.Fatalf("at 08:00: %d messages to Berlin, want 9", got)
	}
	if n := f.counts(t, promo.ID); n.Status != notification.Completed || n.Delivered != 5 {
		t.Fatalf("after the window: %s delivered %d", n.Status, n.Delivered)
	}
}

// setTargeted plays the fan-out's part for a notification delivered by
// hand: its audience is counted and its fan-out done.
func setTargeted(t *testing.T, f *fixture, id string, n int) {
	t.Helper()
	if err := f.db.Exec("UPDATE notifications SET targeted = ?, fanout_done = TRUE, status = 'sending' WHERE id = ?", n, id).Error; err != nil {
		t.Fatal(err)
	}
}

// A cap of 2 per user per hour: a user with two browsers gets the first two
// notifications on both and the third on neither, counted capped (a final
// outcome), so the notification completes with targeted == delivered +
// capped; a time-sensitive one passes.
func TestFrequencyCapIsAFinalOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	f.settings(t, app.Settings{FrequencyCaps: app.FrequencyCaps{{Per: "user", Max: 2, Window: "1h"}}})
	ids, endpoints := f.addPeople(t, 2, "", "u1")
	push := &recordingPush{}
	d := f.deliverer(push, nil)
	var last *notification.Notification
	for i, ts := range []bool{false, false, false, true} {
		n := f.send(t, notification.Request{Target: notification.Target{UserIDs: []string{"u1"}},
			Notification: notification.Content{Title: "n"}, TimeSensitive: ts})
		setTargeted(t, f, n.ID, 2)
		if err := d.DeliverBatch(ctx, f.batch(n, ids), n.Priority); err != nil {
			t.Fatal(err)
		}
		got := f.counts(t, n.ID)
		wantCapped := int64(0)
		if i == 2 {
			wantCapped, last = 2, got
		}
		if got.Capped != wantCapped || got.Delivered != 2-wantCapped || got.Status != notification.Completed {
			t.Fatalf("notification %d: delivered %d capped %d %s; want capped %d, completed", i, got.Delivered, got.Capped, got.Status, wantCapped)
		}
	}
	if push.count(endpoints...) != 6 {
		t.Fatalf("%d messages sent, want 6", push.count(endpoints...))
	}
	if last.Targeted != last.Delivered+last.Gone+last.Dead+last.Capped || last.Pending() != 0 {
		t.Fatalf("counts do not add up: %+v", last)
	}
}
