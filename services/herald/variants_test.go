package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An A/B notification through the API and herald-pushsim: each browser
// decrypts one variant, and GET /v1/notifications/{id} reports per-variant
// counts that match what was sent and add up to the totals.
func TestVariantsThroughTheAPI(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	subs := p.subscribe(300, "ok")
	p.subscribe(20, "gone")
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target":       map[string]any{"all": true},
		"notification": map[string]any{"title": "Sale", "url": "/sale"},
		"variants": []any{
			map[string]any{"name": "plain", "weight": 50, "notification": map[string]any{"body": "20% off"}},
			map[string]any{"name": "urgent", "weight": 30, "notification": map[string]any{"title": "Last hours!", "body": "20% off"}},
			map[string]any{"name": "bigger", "weight": 20, "notification": map[string]any{"body": "30% off"}},
		},
	}, 202)["id"].(string)
	p.waitCompleted(id, 2*time.Minute)
	sent := map[string]int64{}
	// The first 30 recipients report receipt; of them, plain's click and
	// urgent's dismiss: engagement is counted per variant.
	engaged := map[string]map[string]float64{}
	report := func(variant, kind, token string) {
		t.Helper()
		if engaged[variant] == nil {
			engaged[variant] = map[string]float64{}
		}
		if status, code := p.postEvent(map[string]any{"notification_id": id, "token": token, "type": kind}); status != 202 {
			t.Fatalf("%s: %d %s", kind, status, code)
		}
		engaged[variant][kind]++
	}
	for i, s := range subs {
		simID, _, _ := strings.Cut(s.ID, "|")
		ds := p.sim.Deliveries(simID)
		if len(ds) != 1 {
			t.Fatalf("%d deliveries", len(ds))
		}
		var payload map[string]any
		json.Unmarshal(ds[0].Payload, &payload)
		switch {
		case payload["title"] == "Sale" && payload["body"] == "20% off":
			sent["plain"]++
		case payload["title"] == "Last hours!" && payload["body"] == "20% off":
			sent["urgent"]++
		case payload["title"] == "Sale" && payload["body"] == "30% off":
			sent["bigger"]++
		default:
			t.Fatalf("payload %v is no variant", payload)
		}
		if payload["url"] != "/sale" || payload["notification_id"] != id {
			t.Fatalf("payload %v", payload)
		}
		if i < 30 {
			variant := "plain"
			switch {
			case payload["title"] == "Last hours!":
				variant = "urgent"
			case payload["body"] == "30% off":
				variant = "bigger"
			}
			token, _ := payload["event_token"].(string)
			report(variant, "received", token)
			switch variant {
			case "plain":
				report(variant, "clicked", token)
			case "urgent":
				report(variant, "dismissed", token)
			}
		}
	}
	n := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)
	counts := n["counts"].(map[string]any)
	var delivered, gone float64
	for _, v := range n["variants"].([]any) {
		v := v.(map[string]any)
		c := v["counts"].(map[string]any)
		if c["delivered"].(float64) != float64(sent[v["name"].(string)]) {
			t.Fatalf("variant %v: counted %v delivered, browsers got %d", v["name"], c["delivered"], sent[v["name"].(string)])
		}
		name := v["name"].(string)
		for _, kind := range []string{"received", "clicked", "dismissed"} {
			if c[kind] != engaged[name][kind] {
				t.Fatalf("variant %s: %s %v, reported %v", name, kind, c[kind], engaged[name][kind])
			}
		}
		if want := engaged[name]["clicked"] / float64(sent[name]); c["click_through_rate"] != want {
			t.Fatalf("variant %s: click_through_rate %v, want %v", name, c["click_through_rate"], want)
		}
		delivered += c["delivered"].(float64)
		gone += c["gone"].(float64)
	}
	if delivered != counts["delivered"] || gone != counts["gone"] || delivered != 300 || gone != 20 {
		t.Fatalf("variants add up to delivered %v gone %v; totals %v", delivered, gone, counts)
	}
	t.Logf("split %v", sent)
}
