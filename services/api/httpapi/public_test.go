package httpapi

import (
	"net/http"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// With public_topics set, a browser joins only those topics; a backend with
// an API key still sets any.
func TestPublicTopics(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	if r := h.admin("PATCH", "/v1/apps/"+a.ID, map[string]any{"public_topics": []string{"bad\ntopic"}}); r.status != 422 || r.code() != "invalid_public_topics" {
		t.Fatalf("invalid public_topics: %d %s", r.status, r.raw)
	}
	public := "/v1/apps/" + a.ID + "/subscriptions"
	subscribe := func(path string, topics []string, headers ...string) response {
		sub := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/"+path[len(path)-5:]+topics[0])
		return h.do("POST", path, map[string]any{"subscription": sub, "topics": topics}, headers...)
	}
	if r := subscribe(public, []string{"internal"}, "Origin", pageOrigin); r.status != http.StatusCreated {
		t.Fatalf("without public_topics any topic is public: %d %s", r.status, r.raw)
	}
	if r := h.admin("PATCH", "/v1/apps/"+a.ID, map[string]any{"public_topics": []string{"news", "sales"}}); r.status != 200 {
		t.Fatalf("set public_topics: %d %s", r.status, r.raw)
	}
	before := h.countSubscriptions()
	if r := subscribe(public, []string{"news", "internal-ops"}, "Origin", pageOrigin); r.status != http.StatusForbidden || r.code() != "topic_not_public" {
		t.Fatalf("internal topic from a browser: %d %s", r.status, r.raw)
	}
	if n := h.countSubscriptions(); n != before {
		t.Fatalf("a refused subscription was stored")
	}
	if r := subscribe(public, []string{"sales", "news"}, "Origin", pageOrigin); r.status != http.StatusCreated {
		t.Fatalf("public topics: %d %s", r.status, r.raw)
	}
	if r := subscribe("/v1/subscriptions", []string{"internal-ops"}, "Authorization", "Bearer "+a.APIKey); r.status != http.StatusCreated {
		t.Fatalf("a backend's topic: %d %s", r.status, r.raw)
	}
}

// A page could set any attributes for any visitor, so the public route
// takes them only from a browser proving its user with the user_hash the
// app's backend computed; refused ones are not stored.
func TestPublicAttributesNeedAVerifiedUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		h := setup(t, db)
		a := h.createApp()
		subscribe := func(endpoint string, fields map[string]any) response {
			body := map[string]any{"subscription": browserSubscription(t, "https://fcm.googleapis.com/fcm/send/"+endpoint),
				"attributes": map[string]string{"first_name": "Annie", "plan": "gold"}}
			for k, v := range fields {
				body[k] = v
			}
			return h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", body, "Origin", pageOrigin)
		}
		for name, fields := range map[string]map[string]any{
			"no user":         nil,
			"no user_hash":    {"user_id": "u-1"},
			"a wrong hash":    {"user_id": "u-1", "user_hash": app.UserHash(a.IdentitySecret, "u-2")},
			"a hash, no user": {"user_hash": app.UserHash(a.IdentitySecret, "u-1")},
		} {
			if r := subscribe("refused", fields); r.status != http.StatusForbidden || r.code() != "invalid_user_hash" {
				t.Errorf("attributes with %s: %d %s", name, r.status, r.raw)
			}
		}
		if n := h.countSubscriptions(); n != 0 {
			t.Fatalf("%d refused subscriptions stored", n)
		}
		r := subscribe("verified", map[string]any{"user_id": "u-1", "user_hash": app.UserHash(a.IdentitySecret, "u-1")})
		if r.status != http.StatusCreated {
			t.Fatalf("attributes with a valid user_hash: %d %s", r.status, r.raw)
		}
		got := h.do("GET", "/v1/subscriptions/"+r.body["id"].(string), nil, "Authorization", "Bearer "+a.APIKey)
		if attrs, _ := got.body["attributes"].(map[string]any); attrs["first_name"] != "Annie" || attrs["plan"] != "gold" || got.body["user_id"] != "u-1" {
			t.Fatalf("stored %s", got.raw)
		}
	})
}
