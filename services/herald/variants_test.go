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
	n := p.waitCompleted(id, 2*time.Minute)
	sent := map[string]int64{}
	for _, s := range subs {
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
	}
	counts := n["counts"].(map[string]any)
	var delivered, gone float64
	for _, v := range n["variants"].([]any) {
		v := v.(map[string]any)
		c := v["counts"].(map[string]any)
		if c["delivered"].(float64) != float64(sent[v["name"].(string)]) {
			t.Fatalf("variant %v: counted %v delivered, browsers got %d", v["name"], c["delivered"], sent[v["name"].(string)])
		}
		delivered += c["delivered"].(float64)
		gone += c["gone"].(float64)
	}
	if delivered != counts["delivered"] || gone != counts["gone"] || delivered != 300 || gone != 20 {
		t.Fatalf("variants add up to delivered %v gone %v; totals %v", delivered, gone, counts)
	}
	t.Logf("split %v", sent)
}
