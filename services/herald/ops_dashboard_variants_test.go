package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The dashboard shows an A/B notification's variants side by side: one
// column each with its weight, outcome counts and engagement, the leading
// click-through rate marked. The notification goes through herald-pushsim,
// each browser's variant is read from the payload it decrypted, and the
// engagement reported for them is what the columns must show.
func TestOpsDashboardVariants(t *testing.T) {
	needDashboardBrowser(t)
	p := startPipeline(t)
	subs := p.subscribe(60, "ok")
	titles := map[string]string{"Spring sale": "a", "Last hours": "b", "Free shipping": "c"}
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target":       map[string]any{"all": true},
		"notification": map[string]any{"title": "Sale", "url": "/sale"},
		"variants": []any{
			map[string]any{"name": "a", "weight": 50, "notification": map[string]any{"title": "Spring sale"}},
			map[string]any{"name": "b", "weight": 30, "notification": map[string]any{"title": "Last hours"}},
			map[string]any{"name": "c", "weight": 20, "notification": map[string]any{"title": "Free shipping"}},
		},
	}, 202)["id"].(string)
	p.waitCompleted(id, 2*time.Minute)

	// Every browser reports receipt; b's first three click, a's first
	// clicks, c's first two and a's second dismiss: b leads.
	type tally struct{ delivered, received, clicked, dismissed int }
	got := map[string]*tally{"a": {}, "b": {}, "c": {}}
	clicks := map[string]int{"a": 1, "b": 3}
	dismissals := map[string]int{"a": 1, "c": 2}
	for _, s := range subs {
		simID, _, _ := strings.Cut(s.ID, "|")
		ds := p.sim.Deliveries(simID)
		if len(ds) != 1 {
			t.Fatalf("subscription %s got %d deliveries", simID, len(ds))
		}
		var payload map[string]any
		if err := json.Unmarshal(ds[0].Payload, &payload); err != nil {
			t.Fatal(err)
		}
		name, ok := titles[payload["title"].(string)]
		if !ok {
			t.Fatalf("payload %v is no variant", payload)
		}
		v := got[name]
		v.delivered++
		token, _ := payload["event_token"].(string)
		report := func(kind string, n *int) {
			if status, code := p.postEvent(map[string]any{"notification_id": id, "token": token, "type": kind}); status != 202 {
				t.Fatalf("%s: %d %s", kind, status, code)
			}
			*n++
		}
		report("received", &v.received)
		switch {
		case v.clicked < clicks[name]:
			report("clicked", &v.clicked)
		case v.dismissed < dismissals[name]:
			report("dismissed", &v.dismissed)
		}
	}
	for name, v := range got {
		if v.clicked != clicks[name] || v.dismissed != dismissals[name] {
			t.Fatalf("variant %s reached %d browsers, too few for its %d clicks and %d dismissals", name, v.delivered,
				clicks[name], dismissals[name])
		}
	}

	shot := os.Getenv("HERALD_DASHBOARD_VARIANTS_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "variants.png")
	}
	out := runDashboardScript(t, "variants.test.mjs", "HERALD_URL="+p.apiURL, "NOTIFICATION_ID="+id, "SCREENSHOT="+shot)
	t.Logf("dashboard showed: %s", out)
	var seen struct {
		Button, Title string
		Columns       []struct {
			Name, Badge string
			Leader      bool
		}
		Lefts, Tops []float64
		Rows        map[string][]struct {
			Text   string
			Leader bool
		}
		Closed bool
		Errors []string
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("variants script output %q: %v", out, err)
	}
	if len(seen.Errors) > 0 || !seen.Closed || seen.Button != "A/B: 3 variants" || !strings.Contains(seen.Title, id) {
		t.Errorf("page errors %v, closed %v, button %q, title %q", seen.Errors, seen.Closed, seen.Button, seen.Title)
	}
	names := []string{"a", "b", "c"}
	if len(seen.Columns) != len(names) || len(seen.Lefts) != len(names) {
		t.Fatalf("columns %+v: want a, b and c", seen.Columns)
	}
	for i, name := range names {
		if c := seen.Columns[i]; c.Name != name || c.Leader != (name == "b") || c.Leader != (c.Badge == "leading CTR") {
			t.Errorf("column %d: %+v, want %s, marked leading only for b (3 clicks of %d)", i, c, name, got["b"].delivered)
		}
		if i > 0 && (seen.Lefts[i] <= seen.Lefts[i-1] || seen.Tops[i] != seen.Tops[0]) {
			t.Errorf("columns not side by side: lefts %v, tops %v", seen.Lefts, seen.Tops)
		}
	}
	weights := map[string]int{"a": 50, "b": 30, "c": 20}
	for i, name := range names {
		v := got[name]
		want := map[string]string{
			"weight":    fmt.Sprintf("%d (%.1f%%)", weights[name], float64(weights[name])),
			"delivered": strconv.Itoa(v.delivered), "gone": "0", "dead": "0", "capped": "0", "final": strconv.Itoa(v.delivered),
			"received": strconv.Itoa(v.received), "clicked": strconv.Itoa(v.clicked), "dismissed": strconv.Itoa(v.dismissed),
		}
		for row, w := range want {
			if cells := seen.Rows[row]; len(cells) != len(names) || cells[i].Text != w || cells[i].Leader != (name == "b") {
				t.Errorf("variant %s, row %s: cells %+v, want %q", name, row, cells, w)
			}
		}
		cells := seen.Rows["click-through rate"]
		if len(cells) != len(names) {
			t.Fatalf("click-through rate row %+v", cells)
		}
		rate, err := strconv.ParseFloat(strings.TrimSuffix(cells[i].Text, "%"), 64)
		if want := 100 * float64(v.clicked) / float64(v.delivered); err != nil || math.Abs(rate-want) > 0.05+1e-9 {
			t.Errorf("variant %s: click-through rate %q, want %.2f%% (%d clicks of %d delivered)", name, cells[i].Text, want,
				v.clicked, v.delivered)
		}
	}
	checkScreenshot(t, shot)
}
