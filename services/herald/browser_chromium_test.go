package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// runChromium runs one of the Chromium scripts in services/api/web/test
// with cfg and fails the test unless every check in it passed.
func runChromium(t *testing.T, script string, cfg any) {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not installed (.ci/setup.d/browsers.sh installs it)")
	}
	if _, err := os.Stat(filepath.Join(webTestDir, "node_modules", "playwright-core")); err != nil {
		t.Fatal("playwright-core missing: run npm ci in services/api/web/test (.ci/setup.d/browsers.sh does)")
	}
	data, _ := json.Marshal(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, string(data))
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
		t.Fatalf("%s failed (%v): %s\nchecks passed: %q\noutput: %s", script, runErr, res.Error, res.Checks, out.String())
	}
	t.Logf("%s: %d browser checks passed", script, len(res.Checks))
}

// TestChromiumServiceWorker drives Chromium with playwright-core (see
// services/api/web/test/chromium.mjs): the demo page and its screenshot,
// display of every field in both payload formats, the app badge, tag
// stacking, clicks, action buttons and dismissals dispatched as events
// inside the worker, a click through a signed Herald link (counted once,
// redirected), reports kept while Herald is unreachable and sent by
// Background Sync or the next page load, and the counts Herald keeps.
func TestChromiumServiceWorker(t *testing.T) {
	needBrowsers(t)
	p := startPipeline(t)
	f := startFront(t, p.apiURL, "", "")
	appID, _ := browserApp(t, p, f.URL)
	demo := f.URL + "/demo/"
	display := map[string]any{"title": "Order shipped", "body": "Arrives Tuesday", "tag": "order", "icon": f.URL + "/icon.png",
		"require_interaction": true, "data": map[string]any{"order": 42}, "url": demo + "?order=42",
		"actions": []map[string]any{{"action": "yes", "title": "Yes", "url": demo + "?yes"}, {"action": "no", "title": "No", "url": demo + "?no"}}}
	declarative := map[string]any{}
	for k, v := range display {
		declarative[k] = v
	}
	declarative["tag"] = "order-declarative"
	// Each is a send request's notification and its other fields; Herald
	// builds the payload (the declarative one too) and the simulator
	// decrypts it.
	requests := map[string]map[string]any{
		"display":        {"notification": display, "format": "standard"},
		"declarative":    {"notification": declarative, "format": "declarative"},
		"badge":          {"notification": map[string]any{"title": "3 unread", "tag": "badge"}, "app_badge": 3},
		"stack1":         {"notification": map[string]any{"title": "News 1", "body": "first", "tag": "news"}},
		"stack2":         {"notification": map[string]any{"title": "News 2", "body": "second", "tag": "news"}},
		"stack3":         {"notification": map[string]any{"title": "News 3", "body": "third", "tag": "news"}},
		"click":          {"notification": map[string]any{"title": "Click me", "tag": "click", "url": demo + "?clicked=body"}},
		"action":         {"notification": map[string]any{"title": "Buy?", "tag": "action", "url": demo, "actions": []map[string]any{{"action": "buy", "title": "Buy", "url": demo + "?clicked=action"}}}},
		"dismiss":        {"notification": map[string]any{"title": "Dismiss me", "tag": "dismiss"}},
		"offline-sync":   {"notification": map[string]any{"title": "Sent while offline", "tag": "offline-sync"}},
		"offline-reload": {"notification": map[string]any{"title": "Sent while offline, again", "tag": "offline-reload"}},
	}
	payloads, ids := map[string]any{}, map[string]string{}
	for name, req := range requests {
		var payload map[string]any
		ids[name], payload = p.simPayloadOf(req)
		payloads[name] = payload
	}
	// Clicks counted by a signed Herald link (the app's click_tracking):
	// the service worker opens the link, Herald counts and redirects.
	p.call("PATCH", "/v1/apps/"+appID, testAdminToken, map[string]any{"click_tracking": "link"}, 200)
	var tracked map[string]any
	ids["tracked"], tracked = p.simPayloadOf(map[string]any{"format": "declarative",
		"notification": map[string]any{"title": "Tracked", "tag": "tracked", "url": demo + "?clicked=link"}})
	payloads["tracked"] = tracked
	shot := filepath.Join(t.TempDir(), "demo.png")
	runChromium(t, "chromium.mjs", map[string]any{"api": f.URL, "appId": appID, "screenshot": shot, "payloads": payloads})

	checkDemoScreenshot(t, shot)
	want := map[string]map[string]float64{
		"click":   {"received": 1, "clicked": 1},
		"action":  {"received": 1, "clicked": 1},
		"dismiss": {"received": 1, "dismissed": 1},
		// Delivered and clicked twice: one recipient's message (its event
		// token), so each counts once.
		"tracked": {"received": 1, "clicked": 1},
	}
	for name, id := range ids {
		counts := want[name]
		if counts == nil {
			counts = map[string]float64{"received": 1}
		}
		got := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)["counts"].(map[string]any)
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

// TestChromiumSupport checks Herald.support() in Chromium for each reason it
// gives there, and the soft prompt (services/api/web/test/chromium-support.mjs).
func TestChromiumSupport(t *testing.T) {
	needBrowsers(t)
	p := startPipeline(t)
	u, _ := url.Parse(p.apiURL)
	insecure := "http://herald-insecure.test:" + u.Port()
	appID, _ := browserApp(t, p, p.apiURL, insecure)
	runChromium(t, "chromium-support.mjs", map[string]any{"api": p.apiURL, "insecure": insecure, "appId": appID})
}
