package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// dashboardTestDir holds the headless-browser script and its npm lock.
const dashboardTestDir = "../api/dashboard/test"

// The dashboard renders in headless Chromium with live numbers: a broadcast
// in progress with its progress bar, deliveries per second, dead letters
// with a working retry button, charts drawn; the screenshot is not blank.
// It needs Chromium and `npm ci` in services/api/dashboard/test, so it runs
// from `make test-dashboard` (needDashboardBrowser).
func TestOpsDashboardInChromium(t *testing.T) {
	needDashboardBrowser(t)
	p, _ := startOpsPipeline(t, pushsim.Config{})
	// Dead letters first: a notification to browsers that answer 400.
	bad := p.subscribe(5, "bad_request")
	ids := make([]string, len(bad))
	for i, s := range bad {
		_, ids[i], _ = strings.Cut(s.ID, "|")
	}
	first := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": ids}, "notification": map[string]any{"title": "doomed"}}, 202)
	p.waitCompleted(first["id"].(string), time.Minute)
	// Then a broadcast slow enough to be in progress for the whole test:
	// 16 sends in flight, 300 ms each, 2000 browsers.
	p.subscribe(2000, "slow:300")
	broadcast := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "live"}}, 202)

	// HERALD_DASHBOARD_SCREENSHOT keeps the screenshot (for CI artifacts).
	shot := os.Getenv("HERALD_DASHBOARD_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "dashboard.png")
	}
	out := runDashboardScript(t, "dashboard.test.mjs", "HERALD_URL="+p.apiURL, "SCREENSHOT="+shot)
	var seen struct {
		Status   string            `json:"status"`
		Tiles    map[string]string `json:"tiles"`
		Queues   [][]string        `json:"queues"`
		Progress []struct {
			ID      string  `json:"id"`
			App     string  `json:"app"`
			Status  string  `json:"status"`
			Percent float64 `json:"percent"`
			Label   string  `json:"label"`
		} `json:"progress"`
		DeadLetters []string `json:"deadLetters"`
		DeadApps    []string `json:"deadApps"`
		DeadErrors  []string `json:"deadErrors"`
		History     []struct {
			ID       string `json:"id"`
			App      string `json:"app"`
			Title    string `json:"title"`
			Dead     int    `json:"dead"`
			RetryAll bool   `json:"retryAll"`
		} `json:"history"`
		RetriedAll string            `json:"retriedAll"`
		Legends    map[string]string `json:"legends"`
		Inked      map[string]int    `json:"inked"`
		Retried    string            `json:"retried"`
		KeptToken  bool              `json:"keptToken"`
		Errors     []string          `json:"errors"`
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("dashboard script output %q: %v", out, err)
	}
	t.Logf("dashboard showed: %s", out)
	if len(seen.Errors) > 0 {
		t.Errorf("page errors: %v", seen.Errors)
	}
	if seen.Tiles["workers"] != "3" {
		t.Errorf("workers tile %q, want 3 (one worker process, three job servers)", seen.Tiles["workers"])
	}
	// The broadcast reaches the five 400-answering browsers too: 5 dead
	// letters before it, 10 after.
	if dead := seen.Tiles["dead-count"]; seen.Tiles["subs-active"] != "2,005" || (dead != "5" && dead != "10") {
		t.Errorf("tiles %v: want 2,005 active subscriptions and 5 or 10 dead letters", seen.Tiles)
	}
	if len(seen.Progress) != 1 || seen.Progress[0].ID != broadcast["id"] || seen.Progress[0].Status != "sending" ||
		!strings.Contains(seen.Progress[0].Label, "/ 2,005") || seen.Progress[0].Percent <= 0 || seen.Progress[0].Percent >= 100 {
		t.Errorf("progress rows %+v: want the broadcast, sending, part-way through 2,005", seen.Progress)
	}
	names := []string{}
	for _, q := range seen.Queues {
		names = append(names, q[0])
	}
	if strings.Join(names, ",") != "herald:critical,herald:default,herald:bulk,herald:webhooks" {
		t.Errorf("queue rows %v", names)
	}
	if len(seen.DeadLetters) < 5 || seen.Retried != seen.DeadLetters[0] || !seen.KeptToken {
		t.Errorf("dead letters %v, retried %q, token kept %v", seen.DeadLetters, seen.Retried, seen.KeptToken)
	}
	// App names, not ids; the dead-letter tile counts what the table lists
	// (under 20, all of them); each error once, without the status column's
	// "HTTP 400"; the history has both notifications, and retry-all works.
	if seen.Progress[0].App != "pipeline" || len(seen.DeadApps) == 0 || seen.DeadApps[0] != "pipeline" {
		t.Errorf("app cells: progress %+v, dead letters %v: want the app's name", seen.Progress, seen.DeadApps)
	}
	if seen.Tiles["dead-count"] != strconv.Itoa(len(seen.DeadLetters)) {
		t.Errorf("dead-letter tile %q beside %d listed", seen.Tiles["dead-count"], len(seen.DeadLetters))
	}
	for _, e := range seen.DeadErrors {
		if strings.Contains(e, "HTTP 400") || e == "" {
			t.Errorf("dead-letter error %q: want it once, without the status", e)
		}
	}
	titles := map[string]bool{}
	for _, h := range seen.History {
		titles[h.Title] = h.App == "pipeline"
	}
	if !titles["doomed"] || !titles["live"] || !strings.HasPrefix(seen.RetriedAll, "Retried ") {
		t.Errorf("history %+v, retry all %q", seen.History, seen.RetriedAll)
	}
	if !strings.Contains(seen.Legends["failures"], "failed:400") || !strings.Contains(seen.Legends["deliveries"], "delivered") {
		t.Errorf("legends %v: want failed:400 among failure reasons", seen.Legends)
	}
	for chart, n := range seen.Inked {
		if n < 1000 {
			t.Errorf("chart %s has %d drawn pixels", chart, n)
		}
	}
	checkScreenshot(t, shot)
}

// needDashboardBrowser skips t outside `make test-dashboard`
// (HERALD_DASHBOARD_TEST=1), where a missing browser fails rather than skips.
func needDashboardBrowser(t *testing.T) {
	t.Helper()
	if os.Getenv("HERALD_DASHBOARD_TEST") != "1" {
		t.Skip("run with `make test-dashboard` (needs Chromium and npm ci)")
	}
	if _, err := os.Stat(filepath.Join(dashboardTestDir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core not installed: run npm ci in services/api/dashboard/test (%v)", err)
	}
}

// runDashboardScript runs one of the browser scripts with the admin token
// and env, and returns what it printed (its findings, as JSON).
func runDashboardScript(t *testing.T, script string, env ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", script)
	cmd.Dir = dashboardTestDir
	cmd.Env = append(append(os.Environ(), "HERALD_ADMIN_TOKEN="+testAdminToken), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return out
}

// checkScreenshot decodes the PNG and requires a page-sized image with
// enough ink: many colours, and a good share of pixels off the background.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	img := loadScreenshot(t, path, 1000, 800)
	b := img.Bounds()
	colours := colourCounts(img, 2)
	background, total := 0, (b.Dx()/2)*(b.Dy()/2)
	for _, n := range colours {
		background = max(background, n)
	}
	if len(colours) < 50 || float64(total-background)/float64(total) < 0.2 {
		t.Fatalf("screenshot looks blank: %d colours, %d of %d pixels are the background", len(colours), background, total)
	}
}
