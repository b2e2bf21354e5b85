package main

import "testing"

// TestChromiumDemoEnableFailsFast: on /demo, "Enable notifications" shows
// each step, and when the browser's push service cannot be reached the page
// shows an error within about 10 s and the button works again, instead of
// a grey button forever (services/api/web/test/chromium-enable.mjs).
func TestChromiumDemoEnableFailsFast(t *testing.T) {
	needBrowsers(t)
	p := startPipeline(t)
	appID, _ := browserApp(t, p, p.apiURL)
	runChromium(t, "chromium-enable.mjs", map[string]any{"api": p.apiURL, "appId": appID})
}
