package engagement

import (
	"context"
	"testing"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// A received report makes the subscription its recipient token names
// active again (silent revocation), with or without an endpoint in the
// report; the endpoint a report claims revives nothing: a page holding one
// recipient's token cannot bring another subscription back.
func TestReceivedRevivesTheTokensSubscription(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		key, _, _ := masterkey.Generate()
		tokens := NewTokens(db, key)
		store := NewStore(db, tokens)
		f := newFixture(t, db)
		if err := db.Exec(`UPDATE subscriptions SET status = 'unresponsive', unreceived_count = 12`).Error; err != nil {
			t.Fatal(err)
		}
		status := func(id string) (st string, unreceived int) {
			t.Helper()
			row := db.Raw(`SELECT status, unreceived_count FROM subscriptions WHERE id = ?`, id).Row()
			if err := row.Scan(&st, &unreceived); err != nil {
				t.Fatal(err)
			}
			return st, unreceived
		}
		// A's token, B's endpoint: A is back, B is not.
		if counted, err := store.Record(ctx, Event{NotificationID: f.notA, Token: recipientToken(t, tokens, f.notA, f.subA),
			Type: Received, Endpoint: "https://push.example/" + f.subB}, func(string) error { return nil }); err != nil || !counted {
			t.Fatalf("received: %v %v", counted, err)
		}
		if st, n := status(f.subA); st != "active" || n != 0 {
			t.Fatalf("the token's subscription is %s with %d unreceived, want active and 0", st, n)
		}
		if st, _ := status(f.subB); st != "unresponsive" {
			t.Fatalf("the endpoint a report claimed was revived (%s)", st)
		}
		// No endpoint at all (a report from a page): B's own token revives B.
		if _, err := store.Record(ctx, Event{NotificationID: f.notB, Token: recipientToken(t, tokens, f.notB, f.subB), Type: Received},
			func(string) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if st, _ := status(f.subB); st != "active" {
			t.Fatalf("a received report without an endpoint left its subscription %s", st)
		}
	})
}
