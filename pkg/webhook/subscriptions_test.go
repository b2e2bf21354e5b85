package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/subscription"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Subscribing a new endpoint, unsubscribing and a prune each send one
// signed subscription.* event, in the transaction of the change: a known
// endpoint subscribing again, a second unsubscribe, a prune of one not
// active and a prune rolled back send none.
func TestSubscriptionEvents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		f, r, d, secret := hooked(t, db, SubscriptionCreated, SubscriptionGone, SubscriptionUnsub)
		ctx := context.Background()
		vk, err := app.NewStore(db, f.key).ActiveVAPIDKey(ctx, f.appID)
		if err != nil {
			t.Fatal(err)
		}
		subs := subscription.NewStore(db, d.store.TapSubscriptions)
		user := "u-1"
		sub := func(endpoint string, userID *string) string {
			t.Helper()
			v := &subscription.Valid{Endpoint: endpoint, P256dh: "p", Auth: "a", UserID: userID}
			id, _, err := subs.Upsert(ctx, f.appID, vk.ID, v)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		a := sub("https://fcm.googleapis.com/fcm/send/a", &user)
		sub("https://fcm.googleapis.com/fcm/send/a", &user) // known: no event
		b := sub("https://fcm.googleapis.com/fcm/send/b", nil)
		for range 2 {
			if err := subs.Unsubscribe(ctx, f.appID, a); err != nil {
				t.Fatal(err)
			}
		}
		prune := func(fail bool) error {
			return db.InTx(ctx, func(tx *database.DB) error {
				if err := subs.WithTx(tx).RecordOutcomes(ctx, subscription.Outcomes{Gone: []string{a, b}}, time.Now().UTC()); err != nil {
					return err
				}
				if fail {
					return errors.New("rolled back")
				}
				return nil
			})
		}
		if err := prune(true); err == nil {
			t.Fatal("no rollback")
		}
		if err := prune(false); err != nil {
			t.Fatal(err)
		}
		if err := f.work(t, d); err != nil {
			t.Fatal(err)
		}
		verifier, _ := standardwebhooks.NewWebhook(secret)
		var got []string
		for i, body := range r.bodies {
			if err := verifier.Verify(body, r.requests[i].Header); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			var e struct {
				Type string           `json:"type"`
				Data SubscriptionData `json:"data"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Data.At.IsZero() {
				t.Fatalf("%s: %v", body, err)
			}
			got = append(got, e.Type+" "+e.Data.SubscriptionID+" "+e.Data.UserID)
		}
		want := []string{SubscriptionCreated + " " + a + " u-1", SubscriptionCreated + " " + b + " ",
			SubscriptionUnsub + " " + a + " u-1", SubscriptionGone + " " + b + " "}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("events\n%q\nwant\n%q", got, want)
		}
	})
}
