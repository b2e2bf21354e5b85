package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/engagement"
	"github.com/heraldpush/herald/pkg/masterkey"
	"github.com/heraldpush/herald/pkg/publiclimit"
)

// eventsHarness is the API with event reporting, limited per address to
// perAddress events; tokens signs what a payload would carry.
func eventsHarness(t *testing.T, perAddress int) (*harness, *engagement.Tokens) {
	db := sqliteDB(t)
	key, _, _ := masterkey.Generate()
	tokens := engagement.NewTokens(db, key)
	h := setupWith(t, db, func(d *Deps, rdb *redis.Client) {
		d.Browser.Events = engagement.NewStore(db, tokens)
		d.Limits = publiclimit.New(rdb, map[publiclimit.Route]publiclimit.Rules{
			publiclimit.Events: {PerAddress: hourly(perAddress), PerApp: hourly(1000)},
		})
	})
	return h, tokens
}

func (h *harness) sendNotification(a createdApp) string {
	h.t.Helper()
	r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
		"notification": map[string]any{"title": "Hi"}}, "Authorization", "Bearer "+a.APIKey)
	if r.status != http.StatusAccepted {
		h.t.Fatalf("send: %d %s", r.status, r.raw)
	}
	return r.body["id"].(string)
}

func (h *harness) clicked(a createdApp, id string) float64 {
	h.t.Helper()
	r := h.do("GET", "/v1/notifications/"+id, nil, "Authorization", "Bearer "+a.APIKey)
	counts, _ := r.body["counts"].(map[string]any)
	n, ok := counts["clicked"].(float64)
	if !ok {
		h.t.Fatalf("no counts.clicked: %s", r.raw)
	}
	return n
}

// POST /v1/events answers 429 once an address spent its allowance, and
// refuses a page of another origin; neither counts anything.
func TestEventsLimitAndOrigin(t *testing.T) {
	t.Parallel()
	h, tokens := eventsHarness(t, 3)
	a := h.createApp()
	// Two recipients, each counting once.
	var subs []string
	for i := range 2 {
		r := h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, fmt.Sprint("https://fcm.googleapis.com/fcm/send/ev-", i))},
			"Authorization", "Bearer "+a.APIKey)
		if r.status != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", r.status, r.raw)
		}
		subs = append(subs, r.body["id"].(string))
	}
	id := h.sendNotification(a)
	_, recipient, err := tokens.Recipients(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	event := func(eventID, origin string) response {
		sent++
		return h.do("POST", "/v1/events", map[string]any{"notification_id": id, "token": recipient(subs[sent%2]), "type": "clicked",
			"event_id": eventID}, "Origin", origin)
	}
	if r := event("foreign", "https://evil.example"); r.status != http.StatusForbidden || r.code() != "origin_not_allowed" {
		t.Fatalf("foreign origin: %d %s", r.status, r.raw)
	}
	if n := h.clicked(a, id); n != 0 {
		t.Fatalf("a refused origin counted %v clicks", n)
	}
	// The refused request took one of the 3; two more pass, then 429.
	var got []int
	for i := range 4 {
		got = append(got, event(fmt.Sprint("e", i), pageOrigin).status)
	}
	if fmt.Sprint(got) != "[202 202 429 429]" {
		t.Fatalf("statuses %v, want 2 x 202 then 429", got)
	}
	if r := event("late", pageOrigin); r.code() != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("429 without code or Retry-After: %s %v", r.raw, r.header)
	}
	if n := h.clicked(a, id); n != 2 {
		t.Fatalf("clicked = %v, want the 2 allowed", n)
	}
}
