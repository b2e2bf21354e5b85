package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// A broadcast to 2,000 browsers with mixed behaviours: every deliverable one
// gets exactly one message that decrypts to what was sent; gone ones are
// pruned and never contacted again; flaky ones are delivered after retries;
// always-failing ones are dead-lettered; no 429 is retried early; the counts
// add up.
func TestBroadcastMixedBehaviours(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	groups := map[string][]pushsim.Subscription{
		"ok":             p.subscribe(1720, "ok"),
		"gone":           p.subscribe(100, "gone"),
		"fail_first:2":   p.subscribe(100, "fail_first:2"),
		"always_fail":    p.subscribe(40, "always_fail"),
		"rate_limit:1:2": p.subscribe(40, "rate_limit:1:2"),
	}
	sent := map[string]any{"title": "Sale", "body": "50% off everything", "url": "/sale", "data": map[string]any{"k": "v"}}
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": sent, "ttl": 3600, "urgency": "normal", "topic": "sale",
	}, 202)
	id := created["id"].(string)
	startWait := time.Now()
	n := p.waitCompleted(id, 3*time.Minute)
	t.Logf("first broadcast completed in %s", time.Since(startWait))
	if got, want := counts(n), "targeted=2000 delivered=1860 gone=100 dead=40 pending=0"; got != want {
		t.Fatalf("counts: %s, want %s", got, want)
	}

	stats := p.sim.Stats()
	if stats.Duplicates != 0 || stats.EarlyRetries != 0 || stats.GoneContacted != 0 || stats.RejectedTotal != 0 || stats.DecryptFailed != 0 {
		t.Fatalf("sim saw duplicates=%d early_retries=%d gone_contacted=%d rejected=%v decrypt_failed=%d",
			stats.Duplicates, stats.EarlyRetries, stats.GoneContacted, stats.Rejected, stats.DecryptFailed)
	}
	for group, subs := range groups {
		for _, s := range subs {
			simID, heraldID, _ := strings.Cut(s.ID, "|")
			deliveries := p.sim.Deliveries(simID)
			deliverable := group != "gone" && group != "always_fail"
			if deliverable != (len(deliveries) == 1) || len(deliveries) > 1 {
				t.Fatalf("%s subscription %s got %d deliveries", group, simID, len(deliveries))
			}
			if !deliverable {
				continue
			}
			d := deliveries[0]
			var payload map[string]any
			if err := json.Unmarshal(d.Payload, &payload); err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			if payload["title"] != "Sale" || payload["body"] != "50% off everything" || payload["notification_id"] != id {
				t.Fatalf("payload %v", payload)
			}
			if d.Claims.Sub != "mailto:ops@example.com" || d.TTL != 3600 || d.Topic != "sale" || d.Urgency != "normal" {
				t.Fatalf("delivery %+v", d)
			}
			if group == "ok" && heraldID == "" {
				t.Fatal("no herald id")
			}
		}
	}
	t.Logf("checks done at %s", time.Since(startWait))
	for _, s := range groups["gone"][:5] {
		_, heraldID, _ := strings.Cut(s.ID, "|")
		if got := p.call("GET", "/v1/subscriptions/"+heraldID, p.apiKey, nil, 200); got["status"] != "gone" {
			t.Fatalf("gone subscription has status %v", got["status"])
		}
	}
	letters := p.call("GET", "/v1/dead-letters?limit=1000", p.apiKey, nil, 200)["items"].([]any)
	if len(letters) != 40 {
		t.Fatalf("%d dead letters, want 40", len(letters))
	}
	first := letters[0].(map[string]any)
	if first["last_status"].(float64) != 500 || first["attempts"].(float64) != 4 || first["notification_id"] != id {
		t.Fatalf("dead letter %v", first)
	}

	// A second broadcast targets only live subscriptions: gone ones are never contacted again.
	second := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "Again"}}, 202)
	n = p.waitCompleted(second["id"].(string), 3*time.Minute)
	if got := counts(n); got != "targeted=1900 delivered=1860 gone=0 dead=40 pending=0" {
		t.Fatalf("second broadcast counts: %s", got)
	}
	// The simulator counts a subscription's second message as a duplicate:
	// exactly one more per deliverable subscription, none to gone ones.
	if s := p.sim.Stats(); s.GoneContacted != 0 || s.Duplicates != 1860 {
		t.Fatalf("second broadcast: gone_contacted=%d duplicates=%d", s.GoneContacted, s.Duplicates)
	}

	// Retrying a dead letter re-sends it with a fresh budget (it fails again: always_fail).
	retried := p.call("POST", "/v1/dead-letters/"+first["id"].(string)+"/retry", p.apiKey, nil, 202)
	if retried["retried_at"] == nil {
		t.Fatalf("retry: %v", retried)
	}
	p.call("POST", "/v1/dead-letters/"+first["id"].(string)+"/retry", p.apiKey, nil, 409)
	n = p.waitCompleted(id, time.Minute)
	if got := counts(n); got != "targeted=2000 delivered=1860 gone=100 dead=40 pending=0" {
		t.Fatalf("after dead-letter retry: %s", got)
	}
}
