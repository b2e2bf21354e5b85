package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestChromiumServiceWorker drives Chromium with playwright-core (see
// services/api/web/test/chromium.mjs): the demo page and its screenshot,
// display of every field, tag stacking, click and action navigation, and the
// events the service worker reports, which Herald must count.
func TestChromiumServiceWorker(t *testing.T) {
	needBrowsers(t)
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not installed (.ci/setup.d/browsers.sh installs it)")
	}
	if _, err := os.Stat(filepath.Join(webTestDir, "node_modules", "playwright-core")); err != nil {
		t.Fatal("playwright-core missing: run npm ci in services/api/web/test (.ci/setup.d/browsers.sh does)")
	}
	p := startPipeline(t)
	appID := browserApp(t, p, p.apiURL)
	demo := p.apiURL + "/demo/"
	contents := map[string]map[string]any{
		"display": {"title": "Order shipped", "body": "Arrives Tuesday", "tag": "order", "icon": p.apiURL + "/icon.png",
			"require_interaction": true, "data": map[string]any{"order": 42},
			"actions": []map[string]any{{"action": "yes", "title": "Yes"}, {"action": "no", "title": "No"}}},
		"stack1":  {"title": "News 1", "body": "first", "tag": "news"},
		"stack2":  {"title": "News 2", "body": "second", "tag": "news"},
		"stack3":  {"title": "News 3", "body": "third", "tag": "news"},
		"click":   {"title": "Click me", "tag": "click", "url": demo + "?clicked=body"},
		"action":  {"title": "Buy?", "tag": "action", "url": demo, "actions": []map[string]any{{"action": "buy", "title": "Buy", "url": demo + "?clicked=action"}}},
		"dismiss": {"title": "Dismiss me", "tag": "dismiss"},
	}
	payloads, ids := map[string]any{}, map[string]string{}
	for name, c := range contents {
		ids[name], payloads[name] = p.simPayload(c)
	}
	shot := filepath.Join(t.TempDir(), "demo.png")
	cfg, _ := json.Marshal(map[string]any{"api": p.apiURL, "appId": appID, "screenshot": shot, "payloads": payloads})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "chromium.mjs", string(cfg))
	cmd.Dir = webTestDir
	cmd.Env = append(os.Environ(), "CHROMIUM_PATH="+chromium)
	var out bytes.Buffer
	log := &testLogWriter{t: t}
	cmd.Stdout, cmd.Stderr = &out, log
	runErr := cmd.Run()
	log.stop()
	var res struct {
		OK     bool     `json:"ok"`
		Error  string   `json:"error"`
		Checks []string `json:"checks"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil || !res.OK || runErr != nil {
		t.Fatalf("chromium script failed (%v): %s\noutput: %s", runErr, res.Error, out.String())
	}
	t.Logf("%d browser checks passed", len(res.Checks))

	checkDemoScreenshot(t, shot)
	want := map[string]map[string]float64{
		"display": {"received": 1}, "stack1": {"received": 1}, "stack2": {"received": 1}, "stack3": {"received": 1},
		"click":   {"received": 1, "clicked": 1},
		"action":  {"received": 1, "clicked": 1},
		"dismiss": {"received": 1, "dismissed": 1},
	}
	for name, counts := range want {
		got := p.call("GET", "/v1/notifications/"+ids[name], p.apiKey, nil, 200)["counts"].(map[string]any)
		for _, k := range []string{"received", "clicked", "dismissed"} {
			if got[k] != counts[k] {
				t.Errorf("%s: counts.%s = %v, want %v", name, k, got[k], counts[k])
			}
		}
	}
}

// checkDemoScreenshot makes sure the demo rendered: a PNG of a sensible size,
// not one flat colour, with the header's dark blue band at the top.
func checkDemoScreenshot(t *testing.T, path string) {
	t.Helper()
	img := loadScreenshot(t, path, 800, 600)
	b := img.Bounds()
	if colors := colourCounts(img, 7); len(colors) < 20 {
		t.Fatalf("screenshot looks blank: %d colours", len(colors))
	}
	r, g, bl, _ := img.At(b.Min.X+10, b.Min.Y+10).RGBA()
	if r>>8 != 0x23 || g>>8 != 0x39 || bl>>8 != 0x5d {
		t.Fatalf("top-left pixel is #%02x%02x%02x, want the header's #23395d", r>>8, g>>8, bl>>8)
	}
}
