package engagement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// fixture is an app with two subscriptions and two notifications.
type fixture struct {
	app, subA, subB string
	notA, notB      string
}

func newFixture(t *testing.T, db *database.DB) fixture {
	t.Helper()
	f := fixture{app: uuid.NewString(), subA: uuid.NewString(), subB: uuid.NewString()}
	now := time.Now().UTC()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', ?, ?, ?)`,
		f.app, []byte{1}, now, now)
	key := uuid.NewString()
	exec(`INSERT INTO vapid_keys (id, app_id, public_key, private_key_sealed, active, created_at) VALUES (?, ?, 'k', ?, true, ?)`,
		key, f.app, []byte{1}, now)
	for _, id := range []string{f.subA, f.subB} {
		exec(`INSERT INTO subscriptions (id, app_id, vapid_key_id, endpoint, p256dh, auth, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'p', 'a', 'active', ?, ?)`, id, f.app, key, "https://push.example/"+id, now, now)
	}
	for _, id := range []*string{&f.notA, &f.notB} {
		*id = uuid.NewString()
		exec(`INSERT INTO notifications (id, app_id, status, target_kind, content, payload, ttl, priority, created_at, updated_at)
			VALUES (?, ?, 'queued', 'all', '{}', '{}', 60, 'normal', ?, ?)`, *id, f.app, now, now)
	}
	return f
}

func counts(t *testing.T, db *database.DB, id string) [3]int64 {
	t.Helper()
	var c struct{ Received, Clicked, Dismissed int64 }
	if err := db.Table("notifications").Select("received, clicked, dismissed").Where("id = ?", id).Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	return [3]int64{c.Received, c.Clicked, c.Dismissed}
}

// recipientToken is the token the worker puts in notification id's message
// to subscription sub.
func recipientToken(t *testing.T, tokens *Tokens, id, sub string) string {
	t.Helper()
	placeholder, recipient, err := tokens.Recipients(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	tok := recipient(sub)
	if len(tok) != len(placeholder) || tok == placeholder {
		t.Fatalf("recipient token %q does not replace placeholder %q", tok, placeholder)
	}
	return tok
}

// A recipient's token counts once per notification and type however many
// event ids it sends, never for another notification, and stops counting
// once its subscription is deleted; the notification's own token, a
// made-up one and a changed one count nothing.
func TestRecipientTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		key, _, _ := masterkey.Generate()
		tokens := NewTokens(db, key)
		store := NewStore(db, tokens)
		f := newFixture(t, db)
		allow := func(string) error { return nil }
		tokA := recipientToken(t, tokens, f.notA, f.subA)
		// Another Tokens over the same database (another replica) agrees.
		if other := recipientToken(t, NewTokens(db, key), f.notA, f.subA); other != tokA {
			t.Fatalf("second replica signs %q, first %q", other, tokA)
		}
		if made := recipientFor(tokens.secret, f.notA, f.subA); made != tokA {
			t.Fatalf("the batch's recipient token %q, made alone %q", tokA, made)
		}
		placeholder, _ := tokens.Token(ctx, f.notA)
		changed := []byte(tokA)
		changed[30] = map[bool]byte{true: 'B', false: 'A'}[changed[30] == 'A'] // within the MAC
		forged := []Event{
			{NotificationID: f.notA, Token: placeholder, Type: Received, EventID: "x"},
			{NotificationID: f.notA, Token: recipientToken(t, tokens, f.notB, f.subA), Type: Received},
			{NotificationID: f.notA, Token: "v2.nope", Type: Received},
			{NotificationID: f.notA, Token: string(changed), Type: Received},
			{NotificationID: f.notA, Token: "", Type: Received},
			{NotificationID: "not-a-uuid", Token: tokA, Type: Received},
		}
		for _, e := range forged {
			if _, err := store.Record(ctx, e, allow); !errors.Is(err, ErrToken) {
				t.Errorf("%+v: err %v, want ErrToken", e, err)
			}
		}
		if _, err := store.Record(ctx, Event{NotificationID: f.notA, Token: tokA, Type: "opened"}, allow); !errors.Is(err, ErrType) {
			t.Errorf("bad type: %v", err)
		}
		record := func(e Event) bool {
			t.Helper()
			counted, err := store.Record(ctx, e, allow)
			if err != nil {
				t.Fatal(err)
			}
			return counted
		}
		// Five forged clicks from one recipient, each with a fresh event id
		// or endpoint: one counted.
		var clicks []bool
		for i := range 5 {
			clicks = append(clicks, record(Event{NotificationID: f.notA, Token: tokA, Type: Clicked,
				EventID: fmt.Sprint("fresh-", i), Endpoint: fmt.Sprint("https://push.example/other-", i)}))
		}
		if fmt.Sprint(clicks) != "[true false false false false]" {
			t.Fatalf("five clicks from one recipient counted %v", clicks)
		}
		record(Event{NotificationID: f.notA, Token: tokA, Type: Received})
		record(Event{NotificationID: f.notA, Token: tokA, Type: Dismissed})
		if !record(Event{NotificationID: f.notA, Token: recipientToken(t, tokens, f.notA, f.subB), Type: Clicked}) {
			t.Fatal("the other recipient's click was not counted")
		}
		if got := counts(t, db, f.notA); got != [3]int64{1, 2, 1} {
			t.Fatalf("counts %v, want received 1, clicked 2, dismissed 1", got)
		}
		if got := counts(t, db, f.notB); got != [3]int64{0, 0, 0} {
			t.Fatalf("other notification counts %v", got)
		}
		// Deleted (unsubscribed), B's tokens stop counting.
		tokB := recipientToken(t, tokens, f.notB, f.subB)
		if err := db.Exec(`UPDATE subscriptions SET status = 'unsubscribed' WHERE id = ?`, f.subB).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := store.Record(ctx, Event{NotificationID: f.notB, Token: tokB, Type: Clicked}, allow); !errors.Is(err, ErrToken) {
			t.Fatalf("a deleted subscription's token: %v, want ErrToken", err)
		}
		refused := errors.New("origin")
		if _, err := store.Record(ctx, Event{NotificationID: f.notB, Token: recipientToken(t, tokens, f.notB, f.subA), Type: Received},
			func(string) error { return refused }); !errors.Is(err, refused) || counts(t, db, f.notB) != [3]int64{} {
			t.Fatalf("refused origin: %v, counts %v", err, counts(t, db, f.notB))
		}
		if !strings.HasPrefix(tokA, recipientPrefix) {
			t.Fatalf("token %q", tokA)
		}
	})
}

// BenchmarkRecipientToken is the worker's per-message cost of a
// recipient's token (one HMAC-SHA256 and its encoding).
func BenchmarkRecipientToken(b *testing.B) {
	key, _, _ := masterkey.Generate()
	_, recipient, err := NewTokens(dbtest.SQLite(b), key).Recipients(context.Background(), uuid.NewString())
	if err != nil {
		b.Fatal(err)
	}
	sub := uuid.NewString()
	b.ReportAllocs()
	for b.Loop() {
		recipient(sub)
	}
}
