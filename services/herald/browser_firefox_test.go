package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/services/pushsim/sim"
)

// firefoxPrefs make a throwaway profile push through the simulator's
// WebSocket, grant notifications, and never reach the internet: every
// non-loopback request goes to a dead port.
func firefoxPrefs(pushURL string) string {
	prefs := map[string]any{
		"dom.push.serverURL":                         pushURL,
		"dom.push.testing.allowInsecureServerURL":    true,
		"dom.push.enabled":                           true,
		"dom.push.connection.enabled":                true,
		"dom.serviceWorkers.enabled":                 true,
		"permissions.default.desktop-notification":   1,
		"alerts.useSystemBackend":                    false,
		"network.manage-offline-status":              false,
		"network.proxy.type":                         1,
		"network.proxy.http":                         "127.0.0.1",
		"network.proxy.http_port":                    9,
		"network.proxy.ssl":                          "127.0.0.1",
		"network.proxy.ssl_port":                     9,
		"network.proxy.no_proxies_on":                "",
		"network.proxy.allow_hijacking_localhost":    false,
		"browser.shell.checkDefaultBrowser":          false,
		"browser.startup.homepage_override.mstone":   "ignore",
		"browser.aboutwelcome.enabled":               false,
		"datareporting.policy.dataSubmissionEnabled": false,
		"toolkit.telemetry.reportingpolicy.firstRun": false,
		"app.update.disabledForTesting":              true,
		"extensions.update.enabled":                  false,
		"browser.safebrowsing.malware.enabled":       false,
		"browser.safebrowsing.phishing.enabled":      false,
	}
	var b strings.Builder
	for k, v := range prefs {
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, j)
	}
	return b.String()
}

// startFirefox runs Firefox ESR headless on url with a fresh profile; it is
// killed (its whole process group) when the test ends.
func startFirefox(t *testing.T, pushURL, url string) {
	t.Helper()
	bin, err := exec.LookPath("firefox-esr")
	if err != nil {
		t.Fatal("firefox-esr not installed (.ci/setup.d/browsers.sh installs it)")
	}
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs(pushURL)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-remote", "--new-instance", "--profile", profile, url)
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "HOME="+profile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log := &testLogWriter{t: t, prefix: "firefox: "}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		log.stop()
	})
}

// TestFirefoxReceivesAndReports is the whole loop in a real browser, offline:
// the demo page subscribes through herald.js over Firefox's push socket (the
// simulator's WebSocket mode), Herald sends, Firefox decrypts, the service
// worker shows the notification and reports received, and Herald counts it.
func TestFirefoxReceivesAndReports(t *testing.T) {
	needBrowsers(t)
	p := startPipeline(t)
	origin, reports := frontProxy(t, p.apiURL, readHarnessFile(t, "firefox-hook.js"))
	appID := browserApp(t, p, origin)
	pushURL := strings.Replace(p.sim.PublicOrigin(), "http://", "ws://", 1) + sim.WebPushPath
	startFirefox(t, pushURL, origin+"/demo/?app="+appID)

	sub := awaitReport(t, reports, 2*time.Minute, "subscription", func(r report) bool { return r.Kind == "subscribed" })
	var subscribed struct{ ID, Endpoint string }
	json.Unmarshal(sub.Data, &subscribed)
	if !strings.HasPrefix(subscribed.Endpoint, p.sim.PublicOrigin()+"/wpush/") {
		t.Fatalf("endpoint %q is not the simulator's", subscribed.Endpoint)
	}

	title, body := "Firefox says hi", "decrypted by a real browser"
	n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target":       map[string]any{"subscription_ids": []string{subscribed.ID}},
		"notification": map[string]any{"title": title, "body": body, "tag": "ff", "url": origin + "/demo/"},
	}, 202)
	id := n["id"].(string)

	shown := awaitReport(t, reports, time.Minute, "notification shown", func(r report) bool {
		return r.Kind == "sw" && strings.Contains(string(r.Data), `"herald":"shown"`)
	})
	var m struct {
		Title          string `json:"title"`
		Body           string `json:"body"`
		NotificationID string `json:"notification_id"`
	}
	json.Unmarshal(shown.Data, &m)
	if m.Title != title || m.Body != body || m.NotificationID != id {
		t.Fatalf("shown %+v, want title %q body %q id %s", m, title, body, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.sim.WaitWebPush(ctx, func(_ []sim.WebPushChannel, msgs []sim.WebPushMessage) bool {
		return len(msgs) == 1 && msgs[0].AckCode != 0
	}); err != nil {
		t.Fatal(err)
	}
	if code := p.sim.WebPushMessages()[0].AckCode; code != 100 {
		t.Fatalf("Firefox acked with code %d, want 100 (decrypted)", code)
	}
	got := p.waitCount(id, "received", 1, 30*time.Second)
	if c := got["counts"].(map[string]any); c["delivered"] != 1.0 || c["clicked"] != 0.0 {
		t.Fatalf("counts %v", c)
	}

	// Forged events are refused and not counted: a made-up token, and a
	// genuine token of another notification.
	otherID, other := p.simPayload(map[string]any{"title": "other"})
	for _, forged := range []map[string]any{
		{"notification_id": id, "token": "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "type": "received", "event_id": "forged-1"},
		{"notification_id": id, "token": other["event_token"], "type": "received", "event_id": "forged-2"},
		{"notification_id": id, "token": other["event_token"], "type": "clicked", "event_id": "forged-3"},
	} {
		if status, code := p.postEvent(forged); status != 403 || code != "invalid_event_token" {
			t.Errorf("forged event %v: %d %s, want 403 invalid_event_token", forged, status, code)
		}
	}
	after := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)["counts"].(map[string]any)
	if after["received"] != 1.0 || after["clicked"] != 0.0 {
		t.Fatalf("forged events were counted: %v", after)
	}
	if c := p.call("GET", "/v1/notifications/"+otherID, p.apiKey, nil, 200)["counts"].(map[string]any); c["received"] != 0.0 {
		t.Fatalf("other notification counts %v", c)
	}
}
