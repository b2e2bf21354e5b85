package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

func TestNotificationValidation(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	all := map[string]any{"all": true}
	note := map[string]any{"title": "t"}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"oversize", map[string]any{"target": all, "notification": map[string]any{"title": strings.Repeat("x", 1990), "body": strings.Repeat("y", 1990), "data": map[string]any{"pad": strings.Repeat("z", 200)}}}, 413, "payload_too_large"},
		{"ttl negative", map[string]any{"target": all, "notification": note, "ttl": -1}, 422, "invalid_ttl"},
		{"ttl too long", map[string]any{"target": all, "notification": note, "ttl": 2419201}, 422, "invalid_ttl"},
		{"urgency", map[string]any{"target": all, "notification": note, "urgency": "urgent"}, 422, "invalid_urgency"},
		{"topic chars", map[string]any{"target": all, "notification": note, "topic": "no spaces!"}, 422, "invalid_topic"},
		{"topic length", map[string]any{"target": all, "notification": note, "topic": strings.Repeat("a", 33)}, 422, "invalid_topic"},
		{"two targets", map[string]any{"target": map[string]any{"all": true, "user_ids": []string{"u"}}, "notification": note}, 422, "invalid_target"},
		{"no target", map[string]any{"notification": note}, 422, "invalid_target"},
		{"bad subscription id", map[string]any{"target": map[string]any{"subscription_ids": []string{"x"}}, "notification": note}, 422, "invalid_target"},
		{"no title", map[string]any{"target": all, "notification": map[string]any{"body": "b"}}, 422, "invalid_notification"},
		{"bad url", map[string]any{"target": all, "notification": map[string]any{"title": "t", "url": "javascript:alert(1)"}}, 422, "invalid_notification"},
	}
	for _, c := range cases {
		got := p.call("POST", "/v1/notifications", p.apiKey, c.body, c.status)
		e := got["error"].(map[string]any)
		if e["code"] != c.code {
			t.Errorf("%s: code %v, want %s", c.name, e["code"], c.code)
		}
		if c.code == "payload_too_large" && !strings.Contains(e["message"].(string), "3993") {
			t.Errorf("413 message does not state the limit: %v", e["message"])
		}
	}
	// ttl 0 and 2419200 are the bounds and are fine.
	for _, ttl := range []int{0, 2419200} {
		p.call("POST", "/v1/notifications", p.apiKey, map[string]any{"target": all, "notification": note, "ttl": ttl}, 202)
	}
}

func TestIdempotencyKeySendsOnce(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	subs := p.subscribe(3, "ok")
	body := map[string]any{"target": map[string]any{"all": true}, "notification": map[string]any{"title": "once"}}
	first := p.callWithHeader("POST", "/v1/notifications", body, 202, "Idempotency-Key", "order-42")
	again := p.callWithHeader("POST", "/v1/notifications", body, 202, "Idempotency-Key", "order-42")
	if first["id"] != again["id"] {
		t.Fatalf("replay returned %v, first %v", again["id"], first["id"])
	}
	p.waitCompleted(first["id"].(string), time.Minute)
	for _, s := range subs {
		simID, _, _ := strings.Cut(s.ID, "|")
		if n := len(p.sim.Deliveries(simID)); n != 1 {
			t.Fatalf("subscription got %d messages", n)
		}
	}
}

func TestScheduledNotificationCancels(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	p.subscribe(2, "ok")
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "later"},
		"send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 202)
	if created["status"] != "scheduled" {
		t.Fatalf("status %v, want scheduled", created["status"])
	}
	id := created["id"].(string)
	if got := p.call("DELETE", "/v1/notifications/"+id, p.apiKey, nil, 200); got["status"] != "cancelled" {
		t.Fatalf("cancel: %v", got)
	}
	if got := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200); got["status"] != "cancelled" {
		t.Fatalf("after cancel: %v", got)
	}
	p.call("GET", "/v1/notifications/0190a000-0000-7000-8000-000000000000", p.apiKey, nil, http.StatusNotFound)
}

func TestUrgentNotificationUsesCriticalQueue(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	subs := p.subscribe(1, "ok")
	_, heraldID, _ := strings.Cut(subs[0].ID, "|")
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": []string{heraldID}}, "urgency": "high",
		"notification": map[string]any{"title": "now"}}, 202)
	n := p.waitCompleted(created["id"].(string), time.Minute)
	if n["queue"] != "herald:critical" || counts(n) != "targeted=1 delivered=1 gone=0 dead=0 pending=0" {
		t.Fatalf("urgent notification: queue %v, %s", n["queue"], counts(n))
	}
	stats := p.call("GET", "/v1/stats", p.apiKey, nil, 200)
	// One row per queue: the three of push batches by priority and the
	// webhooks' own.
	var queues []string
	for _, q := range stats["queues"].([]any) {
		queues = append(queues, q.(map[string]any)["name"].(string))
	}
	if strings.Join(queues, " ") != "herald:critical herald:default herald:bulk herald:webhooks" {
		t.Fatalf("stats queues %v: %v", queues, stats)
	}
}

// With HERALD_PUSH_ENCRYPTION=webpush-go the library encrypts: the same
// broadcast arrives and decrypts.
func TestWebpushGoEncryptionDelivers(t *testing.T) {
	t.Parallel()
	p := startPipelineWith(t, pushsim.Config{KeepPayloads: true}, map[string]string{"HERALD_PUSH_ENCRYPTION": "webpush-go"})
	subs := p.subscribe(20, "ok")
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "via library"}}, 202)
	n := p.waitCompleted(created["id"].(string), time.Minute)
	if got := counts(n); !strings.HasPrefix(got, "targeted=20 delivered=20 gone=0 dead=0 pending=0") {
		t.Fatalf("counts %s", got)
	}
	for _, s := range subs {
		simID, _, _ := strings.Cut(s.ID, "|")
		d := p.sim.Deliveries(simID)
		if len(d) != 1 || !strings.Contains(string(d[0].Payload), `"title":"via library"`) {
			t.Fatalf("subscription %s: %d deliveries", simID, len(d))
		}
	}
}
