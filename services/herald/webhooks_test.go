package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// clickAll reports a click on notification id from each subscription, as
// its service worker would, with the event token its payload carried.
func (p *pipeline) clickAll(id string, subs []pushsim.Subscription, pause time.Duration) {
	p.t.Helper()
	for _, s := range subs {
		simID, _, _ := strings.Cut(s.ID, "|")
		var token string
		for _, d := range p.sim.Deliveries(simID) {
			var payload map[string]any
			json.Unmarshal(d.Payload, &payload)
			if payload["notification_id"] == id {
				token, _ = payload["event_token"].(string)
			}
		}
		if token == "" {
			p.t.Fatalf("subscription %s got no payload of %s", simID, id)
		}
		if status, code := p.postEvent(map[string]any{"notification_id": id, "token": token, "type": "clicked", "endpoint": s.Endpoint}); status != 202 {
			p.t.Fatalf("click: %d %s", status, code)
		}
		time.Sleep(pause)
	}
}

// Webhooks end to end: a receiver verifying every request (reference
// library and the specification's algorithm) gets notification.completed
// with the final counts after a broadcast through herald-pushsim, clicks
// in batches at most one a second, and, while it answers 500, retries with
// growing delays, then every message once it recovers; private URLs are
// refused.
func TestWebhooksCompletedClicksAndRetries(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	p := startPipelineWith(t, pushsim.Config{KeepPayloads: true}, map[string]string{
		"HERALD_WEBHOOK_EXTRA_ORIGINS": recv.URL,
		"HERALD_WEBHOOK_BACKOFF_BASE":  "400ms",
		"HERALD_WEBHOOK_BACKOFF_MAX":   "4s",
	})
	for _, url := range []string{"https://127.0.0.1/hook", "https://10.0.0.1/hook", "http://10.0.0.1:8080/hook", "https://localhost/hook"} {
		got := p.call("POST", "/v1/webhooks", p.apiKey, map[string]any{"url": url, "events": []string{"notification.completed"}}, 422)
		if code := got["error"].(map[string]any)["code"]; code != "webhook_url_not_allowed" {
			t.Fatalf("%s: %v", url, got)
		}
	}
	created := p.call("POST", "/v1/webhooks", p.apiKey, map[string]any{
		"url": recv.URL + "/herald", "events": []string{"notification.completed", "notification.clicked"}}, 201)
	hookID, secret := created["id"].(string), created["secret"].(string)
	recv.setSecret(secret)
	listed := p.call("GET", "/v1/webhooks", p.apiKey, nil, 200)["items"].([]any)
	if len(listed) != 1 || listed[0].(map[string]any)["secret"] != nil {
		t.Fatalf("listed %v: one endpoint, no secret", listed)
	}

	ok := p.subscribe(40, "ok")
	p.subscribe(5, "gone")
	first := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "Hello"}}, 202)["id"].(string)
	final := p.waitCompleted(first, time.Minute)
	reqs := recv.await(30*time.Second, "notification.completed", func(r []hookRequest) bool { _, ok := completedFor(r, first); return ok })
	got, _ := completedFor(reqs, first)
	hooked, polled := got["counts"].(map[string]any), final["counts"].(map[string]any)
	for _, k := range []string{"targeted", "delivered", "gone", "dead", "capped", "pending"} {
		if hooked[k] != polled[k] || got["status"] != "completed" {
			t.Fatalf("webhook counts %v, GET says %v", hooked, polled)
		}
	}
	if hooked["targeted"] != 45.0 || hooked["delivered"] != 40.0 || hooked["gone"] != 5.0 {
		t.Fatalf("webhook counts %v", hooked)
	}

	// 40 clicks over about 2 s arrive in a few batches, each a second or
	// more after the previous one: at most one per second the clicks took
	// (longer on a loaded machine), and the one after the last click.
	clicking := time.Now()
	p.clickAll(first, ok, 50*time.Millisecond)
	clicked := time.Since(clicking)
	reqs = recv.await(30*time.Second, "40 clicks", func(r []hookRequest) bool {
		b, _ := clicksIn(r)
		n := 0
		for _, e := range b {
			n += len(e)
		}
		return n >= 40
	})
	batches, _ := clicksIn(reqs)
	seen := map[string]bool{}
	for _, b := range batches {
		for _, e := range b {
			if e["notification_id"] != first || e["subscription_id"] == nil || seen[e["subscription_id"].(string)] {
				t.Fatalf("click %v: wrong or repeated", e)
			}
			seen[e["subscription_id"].(string)] = true
		}
	}
	// Batches are made a second apart (arrivals vary with the outbox's
	// polling, so the listing's creation times are what to compare).
	var made []time.Time
	for _, d := range p.call("GET", "/v1/webhooks/"+hookID+"/deliveries", p.apiKey, nil, 200)["items"].([]any) {
		if d := d.(map[string]any); d["event_type"] == "notification.clicked" {
			at, _ := time.Parse(time.RFC3339Nano, d["created_at"].(string))
			made = append(made, at)
		}
	}
	for i := 1; i < len(made); i++ { // newest first
		if gap := made[i-1].Sub(made[i]); gap < 950*time.Millisecond {
			t.Fatalf("click batches made %s apart", gap)
		}
	}
	if len(made) != len(batches) {
		t.Fatalf("%d click batches listed, %d received", len(made), len(batches))
	}
	if most := int(clicked/time.Second) + 2; len(seen) != 40 || len(batches) < 2 || len(batches) > most {
		t.Fatalf("%d clicks in %d batches, want 2 to %d for clicks over %s", len(seen), len(batches), most, clicked.Round(time.Millisecond))
	}
	t.Logf("40 clicks over %s in %d batches", clicked.Round(time.Millisecond), len(batches))

	// The receiver fails: the completion of a second broadcast and its
	// clicks are retried with growing delays, then all delivered once.
	recv.setFailing(true)
	second := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "Again"}}, 202)["id"].(string)
	p.waitCompleted(second, time.Minute)
	p.clickAll(second, ok[:10], 0)
	var completedID string
	recv.await(30*time.Second, "4 failed attempts", func(r []hookRequest) bool {
		n := 0
		for _, hr := range r {
			var d map[string]any
			json.Unmarshal(hr.Data, &d)
			if hr.Type == "notification.completed" && d["notification_id"] == second {
				completedID = hr.ID
				n++
			}
		}
		return n >= 4
	})
	deliveries := p.call("GET", "/v1/webhooks/"+hookID+"/deliveries", p.apiKey, nil, 200)["items"].([]any)
	var pending map[string]any
	for _, d := range deliveries {
		if d := d.(map[string]any); d["id"] == completedID {
			pending = d
		}
	}
	if pending == nil || pending["status"] != "pending" || pending["last_status"] != 500.0 || pending["attempts"].(float64) < 4 || pending["next_attempt_at"] == nil {
		t.Fatalf("the failing delivery is listed as %v", pending)
	}
	if tried := pending["recent_attempts"].([]any); len(tried) < 4 || tried[0].(map[string]any)["status"] != 500.0 ||
		tried[0].(map[string]any)["error"] == "" || tried[0].(map[string]any)["latency_ms"] == nil || tried[0].(map[string]any)["at"] == nil {
		t.Fatalf("the failing delivery's attempts are listed as %v", pending["recent_attempts"])
	}
	recv.setFailing(false)
	reqs = recv.await(30*time.Second, "the retried messages", func(r []hookRequest) bool {
		_, done := completedFor(r, second)
		b, _ := clicksIn(r)
		n := 0
		for _, e := range b {
			n += len(e)
		}
		return done && n >= 50
	})
	var attempts []time.Time
	accepted := map[string]int{}
	for _, hr := range reqs {
		if hr.Status == http.StatusOK {
			accepted[hr.ID]++
		}
		if hr.ID == completedID {
			attempts = append(attempts, hr.At)
		}
	}
	for id, n := range accepted {
		if n != 1 {
			t.Fatalf("message %s accepted %d times", id, n)
		}
	}
	// Each retry waits at least its backoff (400 ms doubling to the 4 s cap,
	// less the 20% jitter); a lower bound only, since polling and a loaded
	// machine add to every gap (comparing neighbouring gaps flaked on that).
	// The last attempt came after the receiver recovered: not a backoff.
	for i := 1; i < len(attempts)-1; i++ {
		floor := min(400*time.Millisecond<<(i-1), 4*time.Second) * 8 / 10
		if gap := attempts[i].Sub(attempts[i-1]); gap < floor {
			t.Fatalf("retry %d came %s after the attempt before, its backoff is at least %s", i, gap, floor)
		}
	}
	if len(attempts) < 5 {
		t.Fatalf("completion tried %d times", len(attempts))
	}
	t.Logf("completion of the second broadcast tried %d times", len(attempts))
}
