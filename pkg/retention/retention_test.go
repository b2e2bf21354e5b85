package retention_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/deadletter"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/notification"
	"github.com/heraldpush/herald/pkg/pushendpoint"
	"github.com/heraldpush/herald/pkg/retention"
	"github.com/heraldpush/herald/pkg/runclaim"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/webhook"
)

// idAt is a UUIDv7 made at t, as Herald's ids are.
func idAt(t time.Time) string {
	u := uuid.Must(uuid.NewV7())
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(u[:6], ms[2:])
	return u.String()
}

type world struct {
	t     *testing.T
	db    *database.DB
	appID string
	keyID string
	subs  []string
}

func newWorld(t *testing.T, db *database.DB) *world {
	key, _, _ := masterkey.Generate()
	apps := app.NewStore(db, key)
	ctx := context.Background()
	created, err := apps.Create(ctx, app.CreateInput{Name: "retention"})
	if err != nil {
		t.Fatal(err)
	}
	vk, err := apps.ActiveVAPIDKey(ctx, created.App.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, appID: created.App.ID, keyID: vk.ID}
	for range 3 {
		w.subs = append(w.subs, w.subscription(subscription.Active, time.Now()))
	}
	return w
}

func (w *world) subscription(st subscription.Status, updated time.Time) string {
	id := uuid.Must(uuid.NewV7()).String()
	err := w.db.Create(&subscription.Subscription{ID: id, AppID: w.appID, VAPIDKeyID: w.keyID,
		Endpoint: "https://fcm.googleapis.com/fcm/send/" + id, P256dh: "k", Auth: "a", Status: st,
		CreatedAt: updated.UTC(), UpdatedAt: updated.UTC()}).Error
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// notification stores a notification made at made with a delivery to each
// subscription, an event and a dead letter; settled is when it completed
// (nil: still sending).
func (w *world) notification(made time.Time, settled *time.Time) string {
	w.t.Helper()
	ctx := context.Background()
	n := &notification.Notification{ID: idAt(made), AppID: w.appID, Status: notification.Sending,
		TargetKind: notification.TargetAll, Payload: "{}", TTL: 60, Priority: notification.Bulk,
		CreatedAt: made.UTC(), UpdatedAt: made.UTC()}
	if settled != nil {
		at := settled.UTC()
		n.Status, n.CompletedAt, n.UpdatedAt = notification.Completed, &at, at
	}
	if err := notification.NewStore(w.db).Insert(ctx, n); err != nil {
		w.t.Fatal(err)
	}
	for _, sub := range w.subs {
		if err := w.db.Exec(`INSERT INTO deliveries (notification_id, subscription_id, status, attempts, last_status, created_at)
			VALUES (?, ?, 'delivered', 1, 201, ?)`, n.ID, sub, made.UTC()).Error; err != nil {
			w.t.Fatal(err)
		}
	}
	if err := w.db.Exec(`INSERT INTO notification_events (notification_id, kind, client_key, created_at) VALUES (?, 'clicked', 'k', ?)`,
		n.ID, made.UTC()).Error; err != nil {
		w.t.Fatal(err)
	}
	err := deadletter.NewStore(w.db).Add(ctx, []deadletter.DeadLetter{{ID: idAt(made), AppID: w.appID, NotificationID: n.ID,
		SubscriptionID: w.subs[0], Attempts: 8, LastStatus: 503, LastError: "HTTP 503", CreatedAt: made.UTC()}})
	if err != nil {
		w.t.Fatal(err)
	}
	return n.ID
}

func (w *world) count(sql string, args ...any) int64 {
	w.t.Helper()
	var n int64
	if err := w.db.Raw(sql, args...).Scan(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *world) deliveries(notificationID string) int64 {
	return w.count("SELECT COUNT(*) FROM deliveries WHERE notification_id = ?", notificationID)
}

// With the clock moved 40 days on: the deliveries and events of settled
// notifications made over 30 days before go (whole day partitions on
// PostgreSQL), those of a notification still sending or settled within
// the de-duplication window stay, and with them the day they are in; 80
// days later the notifications themselves go with everything they had,
// the one still sending aside.
func TestRetentionRemovesWhatExpiredAndKeepsWhatDeduplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		start := time.Now().UTC()
		at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
		now := start.Add(40 * retention.Day)

		oldDone := w.notification(start, at(time.Hour))                                        // settled long ago
		sending := w.notification(start.Add(2*retention.Day), nil)                             // a batch may still run
		justDone := w.notification(start.Add(3*retention.Day), at(40*retention.Day-time.Hour)) // within the window
		dayDone := w.notification(start.Add(4*retention.Day), at(4*retention.Day+time.Hour))
		gapDone := w.notification(start.Add(9*retention.Day+12*time.Hour), at(10*retention.Day)) // a day no partition was made for
		recent := w.notification(start.Add(20*retention.Day), at(20*retention.Day+time.Hour))    // younger than 30 days
		goneOld := w.subscription(subscription.Gone, start)
		goneNew := w.subscription(subscription.Gone, start.Add(20*retention.Day))

		clock := now
		e := retention.New(retention.Config{DB: db, Settings: retention.Defaults, Now: func() time.Time { return clock },
			Log: testkit.Logger(t), Batch: 2})
		rep, err := e.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]int64{oldDone: 0, dayDone: 0, gapDone: 0, sending: 3, justDone: 3, recent: 3} {
			if got := w.deliveries(id); got != want {
				t.Errorf("deliveries of %s: %d, want %d", id, got, want)
			}
		}
		if db.Dialect == database.Postgres && rep.DeliveryPartitions == 0 {
			t.Errorf("no partition dropped: %+v", rep)
		}
		if got := w.count("SELECT COUNT(*) FROM notification_events"); got != 1 { // recent's
			t.Errorf("%d events left, want 1", got)
		}
		if got := w.count("SELECT COUNT(*) FROM subscriptions WHERE id IN ?", []string{goneOld, goneNew}); got != 1 {
			t.Errorf("%d gone subscriptions left, want 1 (the recent one)", got)
		}
		if got := w.count("SELECT COUNT(*) FROM dead_letters"); got != 6 {
			t.Errorf("%d dead letters left, want all 6 (kept 90 days)", got)
		}
		if got := w.count("SELECT COUNT(*) FROM notifications"); got != 6 {
			t.Errorf("%d notifications left, want all 6 (kept 90 days)", got)
		}

		// A second pass finds nothing more.
		if rep, err := e.Once(ctx); err != nil || !rep.Empty() {
			t.Fatalf("second pass: %+v %v", rep, err)
		}

		// 120 days on: notifications made over 90 days before go, with
		// their counts and dead letters; the one sending stays, whole.
		clock = start.Add(120 * retention.Day)
		if _, err := e.Once(ctx); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := db.Raw("SELECT id FROM notifications").Scan(&left).Error; err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != sending || w.deliveries(sending) != 3 {
			t.Fatalf("notifications left %v (want only %s), its deliveries %d", left, sending, w.deliveries(sending))
		}
		if got := w.count("SELECT COUNT(*) FROM dead_letters"); got != 0 {
			// The sending one's dead letter is older than 90 days too.
			t.Errorf("%d dead letters left, want 0", got)
		}
	})
}

// An app's own shorter periods remove its notifications and dead letters
// sooner; the other apps keep theirs for the fleet's periods.
func TestAppRetentionShorterThanTheFleets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		fleet := newWorld(t, db)
		key, _, _ := masterkey.Generate()
		apps := app.NewStore(db, key)
		created, err := apps.Create(ctx, app.CreateInput{Name: "short", Settings: app.Settings{
			Retention: &app.Retention{Notifications: "10d", DeadLetters: "5d"}}})
		if err != nil {
			t.Fatal(err)
		}
		vk, err := apps.ActiveVAPIDKey(ctx, created.App.ID)
		if err != nil {
			t.Fatal(err)
		}
		short := &world{t: t, db: db, appID: created.App.ID, keyID: vk.ID}
		short.subs = []string{short.subscription(subscription.Active, time.Now())}

		start := time.Now().UTC()
		done := start.Add(time.Hour)
		kept := fleet.notification(start, &done)
		gone := short.notification(start, &done)
		clock := start.Add(12 * retention.Day)
		settings := retention.Defaults
		e := retention.New(retention.Config{DB: db, Settings: settings, Apps: apps, Now: func() time.Time { return clock }, Log: testkit.Logger(t)})
		if _, err := e.Once(ctx); err != nil {
			t.Fatal(err)
		}
		var left []string
		if err := db.Raw("SELECT id FROM notifications").Scan(&left).Error; err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 || left[0] != kept {
			t.Fatalf("notifications left %v: want only the fleet app's %s (%s is past its app's 10 days)", left, kept, gone)
		}
		if got := fleet.count("SELECT COUNT(*) FROM dead_letters WHERE app_id = ?", short.appID); got != 0 {
			t.Fatalf("%d dead letters of the short app left", got)
		}
		if got := fleet.count("SELECT COUNT(*) FROM dead_letters WHERE app_id = ?", fleet.appID); got != 1 {
			t.Fatalf("%d dead letters of the fleet app left, want 1", got)
		}
		if got := fleet.deliveries(gone); got != 0 {
			t.Fatalf("%d deliveries of the deleted notification left", got)
		}
	})
}

// The pass removes webhook messages finished over HERALD_RETENTION_WEBHOOK_MESSAGES
// ago, through their owner (whose own test covers what stays).
func TestRetentionRemovesOldWebhookMessages(t *testing.T) {
	db := dbtest.Postgres(t)
	ctx := context.Background()
	w := newWorld(t, db)
	key, _, _ := masterkey.Generate()
	urls, err := pushendpoint.NewPolicy(nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := webhook.NewStore(db, key, urls).Create(ctx, w.appID, "https://hooks.example.com/herald", []string{webhook.NotificationCompleted})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC()
	for _, finished := range []time.Time{start, start.Add(20 * retention.Day)} {
		m := &webhook.Message{ID: idAt(start), AppID: w.appID, EndpointID: e.ID, EventType: webhook.NotificationCompleted, Payload: "{}",
			Status: webhook.Delivered, NextAttemptAt: start, RetryUntil: start, CreatedAt: start, FinishedAt: &finished}
		if err := db.Create(m).Error; err != nil {
			t.Fatal(err)
		}
	}
	clock := start.Add(40 * retention.Day)
	rep, err := retention.New(retention.Config{DB: db, Settings: retention.Defaults, Now: func() time.Time { return clock }, Log: testkit.Logger(t)}).Once(ctx)
	if err != nil || rep.WebhookMessages != 1 {
		t.Fatalf("removed %d webhook messages (%v), want the one finished 40 days before", rep.WebhookMessages, err)
	}
	if got := w.count("SELECT COUNT(*) FROM webhook_messages"); got != 1 {
		t.Fatalf("%d webhook messages left, want 1", got)
	}
}

// A claim a dead worker left on a job never run again goes an hour after
// it expired; a live one stays.
func TestRetentionRemovesStaleJobClaims(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	claims := runclaim.NewStore(db)
	for job, ttl := range map[string]time.Duration{"deliver:dead": time.Second, "deliver:live": 3 * time.Hour} {
		if ok, err := claims.Take(ctx, job, "worker", ttl); err != nil || !ok {
			t.Fatalf("take %s: %v %v", job, ok, err)
		}
	}
	clock := time.Now().Add(2 * time.Hour)
	rep, err := retention.New(retention.Config{DB: db, Settings: retention.Defaults, Now: func() time.Time { return clock }, Log: testkit.Logger(t)}).Once(ctx)
	if err != nil || rep.JobClaims != 1 {
		t.Fatalf("removed %d job claims (%v), want the dead worker's", rep.JobClaims, err)
	}
	if held, err := claims.Held(ctx, []string{"deliver:live"}); err != nil || !held["deliver:live"] {
		t.Fatalf("the live claim: held %v, %v", held, err)
	}
}
