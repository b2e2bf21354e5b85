package engagement

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// notificationRow inserts an app and a notification, returning its id.
func notificationRow(t *testing.T, db *database.DB) string {
	t.Helper()
	appID, id := uuid.NewString(), uuid.NewString()
	now := time.Now().UTC()
	if err := db.Exec(`INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', ?, ?, ?)`,
		appID, []byte{1}, now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO notifications (id, app_id, status, target_kind, content, payload, ttl, priority, created_at, updated_at)
		VALUES (?, ?, 'queued', 'all', '{}', '{}', 60, 'normal', ?, ?)`, id, appID, now, now).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func counts(t *testing.T, db *database.DB, id string) [3]int64 {
	t.Helper()
	var c struct{ Received, Clicked, Dismissed int64 }
	if err := db.Table("notifications").Select("received, clicked, dismissed").Where("id = ?", id).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	return [3]int64{c.Received, c.Clicked, c.Dismissed}
}

func TestEventsAreVerifiedDeduplicatedAndCounted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		key, _, _ := masterkey.Generate()
		tokens := NewTokens(db, key)
		store := NewStore(db, tokens)
		a, b := notificationRow(t, db), notificationRow(t, db)
		tokA, _ := tokens.Token(ctx, a)
		tokB, _ := tokens.Token(ctx, b)
		allow := func(string) error { return nil }

		// Another Tokens over the same database (another replica) agrees.
		if ok, err := NewTokens(db, key).Valid(ctx, a, tokA); !ok || err != nil {
			t.Fatalf("second replica refuses the token: %v %v", ok, err)
		}
		for _, e := range []Event{
			{NotificationID: a, Token: tokB, Type: Received, EventID: "x"},
			{NotificationID: a, Token: "v1.nope", Type: Received, EventID: "x"},
			{NotificationID: a, Token: "", Type: Received, EventID: "x"},
			{NotificationID: "not-a-uuid", Token: tokA, Type: Received, EventID: "x"},
		} {
			if _, err := store.Record(ctx, e, allow); !errors.Is(err, ErrToken) {
				t.Errorf("%+v: err %v, want ErrToken", e, err)
			}
		}
		if _, err := store.Record(ctx, Event{NotificationID: a, Token: tokA, Type: "opened", EventID: "x"}, allow); !errors.Is(err, ErrType) {
			t.Errorf("bad type: %v", err)
		}
		if _, err := store.Record(ctx, Event{NotificationID: a, Token: tokA, Type: Received}, allow); !errors.Is(err, ErrKey) {
			t.Errorf("no endpoint nor event id: %v", err)
		}
		record := func(e Event) bool {
			counted, err := store.Record(ctx, e, allow)
			if err != nil {
				t.Fatal(err)
			}
			return counted
		}
		ep := "https://push.example/x"
		if !record(Event{NotificationID: a, Token: tokA, Type: Received, Endpoint: ep}) {
			t.Fatal("first receipt not counted")
		}
		if record(Event{NotificationID: a, Token: tokA, Type: Received, Endpoint: ep}) {
			t.Fatal("same browser counted twice")
		}
		record(Event{NotificationID: a, Token: tokA, Type: Clicked, Action: "buy", Endpoint: ep})
		record(Event{NotificationID: a, Token: tokA, Type: Dismissed, EventID: "e1"})
		if got := counts(t, db, a); got != [3]int64{1, 1, 1} {
			t.Fatalf("counts %v", got)
		}
		if got := counts(t, db, b); got != [3]int64{0, 0, 0} {
			t.Fatalf("other notification counts %v", got)
		}
		refused := errors.New("origin")
		if _, err := store.Record(ctx, Event{NotificationID: b, Token: tokB, Type: Received, EventID: "z"},
			func(string) error { return refused }); !errors.Is(err, refused) || counts(t, db, b)[0] != 0 {
			t.Fatalf("refused origin: %v, counts %v", err, counts(t, db, b))
		}
	})
}
