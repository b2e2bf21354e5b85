package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each message carries its recipient's event token: five forged clicks
// from one recipient (fresh event ids and endpoints) count once, another
// recipient's click counts for itself, a token never counts for another
// notification, and the tokens of a deleted subscription stop counting.
// The declarative payload carries the recipient's token too.
func TestEventTokensPerRecipient(t *testing.T) {
	p := startPipeline(t)
	subs := p.subscribe(2, "ok")
	heraldID := func(i int) string { return subs[i].ID[strings.Index(subs[i].ID, "|")+1:] }
	simID := func(i int) string { return subs[i].ID[:strings.Index(subs[i].ID, "|")] }
	send := func(format string) (id string, tokens [2]string) {
		t.Helper()
		n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{"format": format,
			"target":       map[string]any{"subscription_ids": []string{heraldID(0), heraldID(1)}},
			"notification": map[string]any{"title": "Hi " + format, "url": "https://shop.example/x"}}, 202)
		id = n["id"].(string)
		p.waitCompleted(id, time.Minute)
		for i := range 2 {
			var found bool
			for _, d := range p.sim.Deliveries(simID(i)) {
				var payload struct {
					NotificationID string `json:"notification_id"`
					EventToken     string `json:"event_token"`
				}
				if err := json.Unmarshal(d.Payload, &payload); err != nil {
					t.Fatal(err)
				}
				if payload.NotificationID == id {
					tokens[i], found = payload.EventToken, true
				}
			}
			if !found || tokens[i] == "" {
				t.Fatalf("subscription %d got no payload of %s with a token", i, id)
			}
		}
		if tokens[0] == tokens[1] {
			t.Fatalf("both recipients got token %s", tokens[0])
		}
		return id, tokens
	}
	click := func(id, token, eventID string) (int, string) {
		return p.postEvent(map[string]any{"notification_id": id, "token": token, "type": "clicked",
			"event_id": eventID, "endpoint": "https://fcm.googleapis.com/fcm/send/" + eventID})
	}
	id, tokens := send("standard")
	for i := range 5 {
		if status, code := click(id, tokens[0], fmt.Sprint("forged-", i)); status != 202 {
			t.Fatalf("click %d: %d %s", i, status, code)
		}
	}
	if c := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)["counts"].(map[string]any); c["clicked"] != 1.0 {
		t.Fatalf("five clicks from one recipient: clicked %v, want 1", c["clicked"])
	}
	click(id, tokens[1], "b")
	p.waitCount(id, "clicked", 2, 10*time.Second)

	other, otherTokens := send("declarative")
	if status, code := click(other, tokens[0], "cross"); status != 403 || code != "invalid_event_token" {
		t.Fatalf("a token of another notification: %d %s", status, code)
	}
	p.call("DELETE", "/v1/subscriptions/"+heraldID(1), p.apiKey, nil, 204)
	if status, code := click(other, otherTokens[1], "deleted"); status != 403 || code != "invalid_event_token" {
		t.Fatalf("a deleted subscription's token: %d %s", status, code)
	}
	click(other, otherTokens[0], "a")
	c := p.call("GET", "/v1/notifications/"+other, p.apiKey, nil, 200)["counts"].(map[string]any)
	if c["clicked"] != 1.0 {
		t.Fatalf("declarative notification: clicked %v, want 1 (the live recipient's)", c["clicked"])
	}
}
