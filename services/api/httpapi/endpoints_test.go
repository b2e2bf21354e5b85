package httpapi

import (
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// The three spellings of one FCM endpoint are one subscription: scheme and
// host compared without case and the default port dropped, on the API-key
// and public routes, and the replace route finds it by any spelling. The
// path keeps its case (a push service's token).
func TestEndpointSpellingsAreOneSubscription(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		key, _, _ := masterkey.Generate()
		h := setupWith(t, db, func(d *Deps, _ *redis.Client) {
			d.Browser.Events = engagement.NewStore(db, engagement.NewTokens(db, key))
		})
		a := h.createApp()
		const canonical = "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b-Case"
		spellings := []string{canonical, "https://FCM.GOOGLEAPIS.COM/fcm/send/dGVzdA:APA91b-Case",
			"https://fcm.googleapis.com:0443/fcm/send/dGVzdA:APA91b-Case", "HTTPS://Fcm.GoogleApis.com:443/fcm/send/dGVzdA:APA91b-Case"}
		var id string
		for i, endpoint := range spellings {
			r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, endpoint)},
				"Authorization", "Bearer "+a.APIKey)
			if i == len(spellings)-1 { // the browser's page, on the public route
				r = h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", map[string]any{"subscription": browserSubscription(t, endpoint)},
					"Origin", pageOrigin)
			}
			if r.status != http.StatusCreated && r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", endpoint, r.status, r.raw)
			}
			if id == "" {
				id = r.body["id"].(string)
			} else if r.body["id"] != id {
				t.Fatalf("%s made subscription %v, want %s", endpoint, r.body["id"], id)
			}
		}
		if n := h.countSubscriptions(); n != 1 {
			t.Fatalf("%d subscriptions for one push URL", n)
		}
		if r := h.do("GET", "/v1/subscriptions/"+id, nil, "Authorization", "Bearer "+a.APIKey); r.body["endpoint"] != canonical {
			t.Fatalf("stored endpoint %v, want %s", r.body["endpoint"], canonical)
		}
		other := "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b-CASE"
		if r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, other)},
			"Authorization", "Bearer "+a.APIKey); r.status != http.StatusCreated || r.body["id"] == id {
			t.Fatalf("a path differing in case: %d %s, want a subscription of its own", r.status, r.raw)
		}
		r := h.do("POST", "/v1/apps/"+a.ID+"/subscriptions/replace", map[string]any{"old_endpoint": spellings[1],
			"subscription": browserSubscription(t, "https://fcm.googleapis.com/fcm/send/renewed")}, "Origin", pageOrigin)
		if r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Fatalf("replace by another spelling: %d %s", r.status, r.raw)
		}
	})
}
