package subscription

import (
	"context"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// Silent revocation on a controlled clock: a browser that reported a
// receipt, then none for K pushes over at least D days, becomes
// unresponsive (not before: K pushes in less than D days, or D days with
// fewer than K), is left out of audiences, and is active again on its next
// receipt or subscribe. A browser that never reported is never judged.
func TestUnresponsiveAfterPushesWithoutReceipts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, appID, keyID := setup(t, db)
		reporting := valid(t, "https://web.push.apple.com/reporting")
		silent := valid(t, "https://web.push.apple.com/never-reported")
		idR, _, _ := s.Upsert(ctx, appID, keyID, reporting)
		idS, _, _ := s.Upsert(ctx, appID, keyID, silent)
		rule := Revocation{Notifications: 3, For: 2 * 24 * time.Hour}
		t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		push := func(at time.Time) {
			t.Helper()
			if err := s.RecordOutcomes(ctx, Outcomes{Unconfirmed: []string{idR, idS}, Revocation: rule}, at); err != nil {
				t.Fatal(err)
			}
		}
		status := func(id string) Status {
			t.Helper()
			subs, err := s.Load(ctx, []string{id})
			if err != nil || len(subs) != 1 {
				t.Fatal(subs, err)
			}
			return subs[0].Status
		}
		if _, err := s.Received(ctx, appID, idR, t0); err != nil {
			t.Fatal(err)
		}

		// Three pushes within a day: K reached, D not yet.
		for h := range 3 {
			push(t0.Add(time.Duration(h+1) * time.Hour))
		}
		if st := status(idR); st != Active {
			t.Fatalf("after 3 pushes in 3 hours: %s, want still active (2 days have not passed)", st)
		}
		// Two days after the first unconfirmed push, the next push tips it.
		push(t0.Add(time.Hour + 2*24*time.Hour))
		if st := status(idR); st != Unresponsive {
			t.Fatalf("after 4 pushes over 2 days: %s, want unresponsive", st)
		}
		if st := status(idS); st != Active {
			t.Fatalf("a browser that never reported receipts: %s, want active (never judged)", st)
		}
		inAudience := func(id string) bool {
			t.Helper()
			page, err := s.AudiencePage(ctx, Audience{AppID: appID, Kind: AudienceAll}, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range page {
				if got == id {
					return true
				}
			}
			return false
		}
		if inAudience(idR) || !inAudience(idS) {
			t.Fatal("the unresponsive subscription is still in the broadcast audience (or the other left it)")
		}

		// Its next receipt makes it active again and starts the count over.
		if back, err := s.Received(ctx, appID, idR, t0.Add(3*24*time.Hour)); err != nil || !back {
			t.Fatalf("receipt: reactivated=%v err=%v", back, err)
		}
		if st := status(idR); st != Active || !inAudience(idR) {
			t.Fatalf("after a receipt: %s", st)
		}
		// D days pass with fewer than K pushes: still active.
		push(t0.Add(4 * 24 * time.Hour))
		push(t0.Add(9 * 24 * time.Hour))
		if st := status(idR); st != Active {
			t.Fatalf("2 pushes over 5 days: %s, want active (K is 3)", st)
		}
		push(t0.Add(10 * 24 * time.Hour))
		if st := status(idR); st != Unresponsive {
			t.Fatalf("3 pushes over 6 days: %s, want unresponsive", st)
		}
		// Subscribing again (the page loads, herald.js re-posts) reactivates.
		if _, _, err := s.Upsert(ctx, appID, keyID, reporting); err != nil {
			t.Fatal(err)
		}
		if st := status(idR); st != Active {
			t.Fatalf("after subscribing again: %s", st)
		}
		// Notifications 0 turns the check off.
		for d := range 5 {
			if err := s.RecordOutcomes(ctx, Outcomes{Unconfirmed: []string{idR}}, t0.Add(time.Duration(20+d)*24*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if st := status(idR); st != Active {
			t.Fatalf("with the check off: %s", st)
		}
	})
}

func TestExpiredSubscriptionsAreMarked(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, appID, keyID := setup(t, db)
		v := valid(t, "https://fcm.googleapis.com/fcm/send/expiring")
		at := time.Now().Add(time.Hour).UTC()
		v.ExpirationTime = &at
		id, _, _ := s.Upsert(ctx, appID, keyID, v)
		subs, _ := s.Load(ctx, []string{id})
		if subs[0].Expired(time.Now()) || !subs[0].Expired(at) || !subs[0].Expired(at.Add(time.Second)) {
			t.Fatal("Expired: wrong before or at the expiration time")
		}
		if err := s.RecordOutcomes(ctx, Outcomes{Expired: []string{id}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if subs, _ := s.Load(ctx, []string{id}); subs[0].Status != Expired {
			t.Fatalf("status %s, want expired", subs[0].Status)
		}
		// The browser renews (a new expirationTime): active again.
		later := at.Add(30 * 24 * time.Hour)
		v.ExpirationTime = &later
		s.Upsert(ctx, appID, keyID, v)
		if subs, _ := s.Load(ctx, []string{id}); subs[0].Status != Active {
			t.Fatalf("after renewal: %s", subs[0].Status)
		}
	})
}
