package subscription

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// setup returns a store and an app (with its active VAPID key id) to subscribe to.
func setup(t *testing.T, db *database.DB) (s *Store, appID, keyID string) {
	t.Helper()
	key, _, _ := masterkey.Generate()
	apps := app.NewStore(db, key)
	ctx := context.Background()
	c, err := apps.Create(ctx, app.CreateInput{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	vk, err := apps.ActiveVAPIDKey(ctx, c.App.ID)
	if err != nil {
		t.Fatal(err)
	}
	return NewStore(db), c.App.ID, vk.ID
}

func valid(t *testing.T, endpoint string, topics ...string) *Valid {
	t.Helper()
	p256dh, auth := browserKeys(t)
	v, err := Validate(Input{Endpoint: endpoint, P256dh: p256dh, Auth: auth, Topics: topics}, policy(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestUpsertUpdatesKnownEndpoint(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, appID, keyID := setup(t, db)
		endpoint := "https://fcm.googleapis.com/fcm/send/one"
		id1, created, err := s.Upsert(ctx, appID, keyID, valid(t, endpoint, "a", "b"))
		if err != nil || !created {
			t.Fatalf("first upsert: created=%v err=%v", created, err)
		}
		if err := s.Unsubscribe(ctx, appID, id1); err != nil {
			t.Fatal(err)
		}
		again := valid(t, endpoint, "c")
		user := "u-9"
		again.UserID = &user
		id2, created, err := s.Upsert(ctx, appID, keyID, again)
		if err != nil || created || id2 != id1 {
			t.Fatalf("second upsert: id=%s (first %s) created=%v err=%v", id2, id1, created, err)
		}
		got, err := s.Get(ctx, appID, id1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != Active || got.P256dh != again.P256dh || *got.UserID != "u-9" ||
			len(got.Topics) != 1 || got.Topics[0] != "c" {
			t.Fatalf("not updated: %+v", got)
		}
		var n int64
		db.Model(&Subscription{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d rows, want 1", n)
		}
	})
}

func TestConcurrentUpsertsNeverDuplicate(t *testing.T) {
	t.Parallel()
	db := dbtest.Postgres(t)
	ctx := context.Background()
	s, appID, keyID := setup(t, db)
	v := valid(t, "https://fcm.googleapis.com/fcm/send/race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	createdCount := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, created, err := s.Upsert(ctx, appID, keyID, v)
			if err != nil {
				t.Error(err)
			}
			if created {
				mu.Lock()
				createdCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var n int64
	db.Model(&Subscription{}).Count(&n)
	if n != 1 || createdCount != 1 {
		t.Fatalf("rows=%d created=%d, want 1 and 1", n, createdCount)
	}
}

func TestOtherAppsSubscriptionIsNotFound(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s, appID, keyID := setup(t, db)
		id, _, err := s.Upsert(ctx, appID, keyID, valid(t, "https://fcm.googleapis.com/fcm/send/mine"))
		if err != nil {
			t.Fatal(err)
		}
		_, otherApp, _ := setup(t, db)
		if _, err := s.Get(ctx, otherApp, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get from other app: %v", err)
		}
		if err := s.Unsubscribe(ctx, otherApp, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Unsubscribe from other app: %v", err)
		}
		if _, err := s.Get(ctx, appID, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(bad id): %v", err)
		}
	})
}
