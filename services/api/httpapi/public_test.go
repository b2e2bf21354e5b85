package httpapi

import (
	"net/http"
	"testing"
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
