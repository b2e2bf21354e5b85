package database

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/heraldpush/herald/pkg/testkit"
)

// The canonical endpoints step merges the spellings of one push URL in an
// app into its newest active subscription, which takes the others' topics
// and user; paths keep their case, other apps are left alone, and a lone
// odd spelling is only respelled.
func TestMergeEndpointSpellings(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]func() Config{
		"postgres": func() Config { return Config{URL: testkit.PostgresURL(t)} },
		"sqlite":   func() Config { return Config{SQLitePath: filepath.Join(t.TempDir(), "herald.db")} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			step := slices.IndexFunc(migrations, func(m migration) bool { return m.version == canonicalEndpoints })
			db := openAtVersion(t, cfg(), step)
			base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			exec := func(q string, args ...any) {
				t.Helper()
				if err := db.Exec(q, args...).Error; err != nil {
					t.Fatal(err)
				}
			}
			app := func() (appID, keyID string) {
				appID, keyID = uuid.NewString(), uuid.NewString()
				exec(`INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', ?, ?, ?)`, appID, []byte{1}, base, base)
				exec(`INSERT INTO vapid_keys (id, app_id, public_key, private_key_sealed, active, created_at) VALUES (?, ?, 'k', ?, true, ?)`,
					keyID, appID, []byte{1}, base)
				return appID, keyID
			}
			shop, shopKey := app()
			other, otherKey := app()
			sub := func(appID, keyID, endpoint, status string, user any, age time.Duration, topics ...string) string {
				id := uuid.NewString()
				exec(`INSERT INTO subscriptions (id, app_id, vapid_key_id, endpoint, p256dh, auth, user_id, status, created_at, updated_at)
					VALUES (?, ?, ?, ?, 'p', 'a', ?, ?, ?, ?)`, id, appID, keyID, endpoint, user, status, base.Add(-age), base.Add(-age))
				for _, topic := range topics {
					exec(`INSERT INTO subscription_topics (subscription_id, app_id, topic) VALUES (?, ?, ?)`, id, appID, topic)
				}
				return id
			}
			sub(shop, shopKey, "https://FCM.GOOGLEAPIS.COM/fcm/send/Tok", "active", nil, 3*time.Minute, "a", "shared")
			sub(shop, shopKey, "https://fcm.googleapis.com:443/fcm/send/Tok", "active", "u1", 2*time.Minute, "b", "shared")
			newest := sub(shop, shopKey, "https://fcm.googleapis.com/fcm/send/Tok", "active", nil, time.Minute, "c")
			sub(shop, shopKey, "https://Fcm.Googleapis.Com:0443/fcm/send/Tok", "unsubscribed", nil, 0, "d")
			otherPath := sub(shop, shopKey, "https://fcm.googleapis.com/fcm/send/TOK", "active", nil, 0)
			lone := sub(shop, shopKey, "https://Web.Push.Apple.COM:443/QmX", "active", nil, 0)
			otherApp := sub(other, otherKey, "https://FCM.googleapis.com/fcm/send/Tok", "active", nil, 0, "z")

			if err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			var rows []struct {
				ID, AppID, Endpoint string
				UserID              *string
			}
			if err := db.Raw(`SELECT id, app_id, endpoint, user_id FROM subscriptions ORDER BY endpoint, app_id`).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r.ID] = r.Endpoint
				if r.ID == newest && (r.UserID == nil || *r.UserID != "u1") {
					t.Errorf("the kept subscription's user is %v, want the merged one's u1", r.UserID)
				}
			}
			want := map[string]string{
				newest:    "https://fcm.googleapis.com/fcm/send/Tok",
				otherPath: "https://fcm.googleapis.com/fcm/send/TOK",
				lone:      "https://web.push.apple.com/QmX",
				otherApp:  "https://fcm.googleapis.com/fcm/send/Tok",
			}
			if len(got) != len(want) {
				t.Fatalf("subscriptions after the merge %v, want %v", got, want)
			}
			for id, endpoint := range want {
				if got[id] != endpoint {
					t.Errorf("subscription %s: endpoint %q, want %q", id, got[id], endpoint)
				}
			}
			var topics []string
			if err := db.Raw(`SELECT topic FROM subscription_topics WHERE subscription_id = ? ORDER BY topic`, newest).Scan(&topics).Error; err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(topics, []string{"a", "b", "c", "d", "shared"}) {
				t.Errorf("the kept subscription's topics %v, want every spelling's", topics)
			}
			var stray int64
			db.Raw(`SELECT COUNT(*) FROM subscription_topics WHERE subscription_id NOT IN (SELECT id FROM subscriptions)`).Scan(&stray)
			if stray != 0 {
				t.Errorf("%d topics of merged subscriptions left behind", stray)
			}
		})
	}
}
