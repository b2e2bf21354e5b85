package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// TestFirefoxMovesToRotatedVAPIDKey rotates the app's VAPID key under a
// subscribed Firefox: on the next page load herald.js sees that its
// subscription was made with the retired key, unsubscribes, subscribes with
// the new applicationServerKey (a real registration on the simulator's push
// socket, which binds the channel to that key) and calls the replace route,
// so user and topics move over; the retired key then holds no subscription
// and a notification to the user arrives signed with the new key.
func TestFirefoxMovesToRotatedVAPIDKey(t *testing.T) {
	needBrowsers(t)
	s := startFirefoxSession(t)
	p, f := s.p, s.front

	user := "u-rotating"
	var mine struct{ ID, Endpoint string }
	f.run(t, fmt.Sprintf(`return await Herald.subscribe({userId: %q, userHash: %q, topics: ['news']});`,
		user, app.UserHash(s.secret, user)), &mine)
	oldKey := p.call("GET", "/v1/apps/"+s.appID+"/vapid-public-key", "", nil, 200)["public_key"].(string)
	if ch := channelOf(p, mine.Endpoint); ch == nil || strings.TrimRight(ch.Key, "=") != oldKey {
		t.Fatalf("Firefox registered %+v, want the app's key %s", ch, oldKey)
	}

	newKey := p.call("POST", "/v1/apps/"+s.appID+"/vapid-keys", testAdminToken, nil, 201)["public_key"].(string)
	f.fire(`location.reload();`)
	var moved map[string]any
	deadline := time.Now().Add(time.Minute)
	for moved == nil {
		if time.Now().After(deadline) {
			t.Fatalf("after the page load the user's subscriptions are still %v",
				p.call("GET", "/v1/subscriptions?user_id="+user, p.apiKey, nil, 200)["items"])
		}
		time.Sleep(200 * time.Millisecond)
		for _, it := range p.call("GET", "/v1/subscriptions?status=active&user_id="+user, p.apiKey, nil, 200)["items"].([]any) {
			if sub := it.(map[string]any); sub["id"] != mine.ID {
				moved = sub
			}
		}
	}
	if fmt.Sprint(moved["topics"]) != "[news]" || !strings.HasPrefix(moved["endpoint"].(string), p.sim.PublicOrigin()+"/wpush/") {
		t.Fatalf("moved subscription %v, want topic news on a simulator endpoint", moved)
	}
	if old := p.call("GET", "/v1/subscriptions/"+mine.ID, p.apiKey, nil, 200); old["status"] != "unsubscribed" {
		t.Fatalf("the old-key subscription is %v, want unsubscribed", old["status"])
	}
	if ch := channelOf(p, moved["endpoint"].(string)); ch == nil || strings.TrimRight(ch.Key, "=") != newKey {
		t.Fatalf("Firefox re-registered %+v, want the new key %s", ch, newKey)
	}
	holders := map[string]float64{}
	for _, k := range p.call("GET", "/v1/apps/"+s.appID+"/vapid-keys", testAdminToken, nil, 200)["items"].([]any) {
		m := k.(map[string]any)
		holders[m["public_key"].(string)] = m["active_subscriptions"].(float64)
	}
	if holders[oldKey] != 0 || holders[newKey] != 1 {
		t.Fatalf("keys hold %v, want 0 on the retired key and 1 on the new", holders)
	}

	n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"user_ids": []string{user}}, "notification": map[string]any{"title": "after rotation", "tag": "rot"}}, 202)
	id := n["id"].(string)
	var shown shownMessage
	f.awaitWorker(t, time.Minute, "shown", &shown, nil)
	if shown.NotificationID != id {
		t.Fatalf("shown %+v, want notification %s", shown, id)
	}
	msgs := p.sim.WebPushMessages()
	if last := msgs[len(msgs)-1]; last.VAPIDKey != newKey || last.AckCode != 100 && last.AckCode != 0 {
		t.Fatalf("last push signed with %s (ack %d), want the new key %s", last.VAPIDKey, last.AckCode, newKey)
	}
	got := p.waitCount(id, "received", 1, 30*time.Second)
	if c := got["counts"].(map[string]any); c["targeted"] != 1.0 || c["delivered"] != 1.0 {
		t.Fatalf("counts %v, want the one moved subscription", c)
	}
}

// channelOf is the simulator's push-socket registration for endpoint.
func channelOf(p *pipeline, endpoint string) *pushsim.WebPushChannel {
	for _, ch := range p.sim.WebPushChannels() {
		if ch.Endpoint == endpoint {
			return &ch
		}
	}
	return nil
}
