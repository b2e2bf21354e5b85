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

	"github.com/heraldpush/herald/pkg/app"
	"github.com/heraldpush/herald/pkg/pushsim"
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
		"dom.push.retryBaseInterval":                 500, // reconnect soon after the simulator drops the socket
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

// firefoxSession is Herald, the front proxy and Firefox ESR on the demo
// page, subscribed through herald.js over Firefox's push socket.
type firefoxSession struct {
	p              *pipeline
	front          *front
	appID, secret  string
	subscriptionID string
	endpoint       string
}

func startFirefoxSession(t *testing.T) *firefoxSession {
	t.Helper()
	p := startPipeline(t)
	f := startFront(t, p.apiURL, readHarnessFile(t, "firefox-hook.js"), readHarnessFile(t, "firefox-worker-hook.js"))
	s := &firefoxSession{p: p, front: f}
	s.appID, s.secret = browserApp(t, p, f.URL)
	pushURL := strings.Replace(p.sim.PublicOrigin(), "http://", "ws://", 1) + pushsim.WebPushPath
	startFirefox(t, pushURL, f.URL+"/demo/?app="+s.appID)

	sub := f.await(t, 2*time.Minute, "subscription", func(r report) bool { return r.Kind == "subscribed" })
	var subscribed struct{ ID, Endpoint string }
	json.Unmarshal(sub.Data, &subscribed)
	if !strings.HasPrefix(subscribed.Endpoint, p.sim.PublicOrigin()+"/wpush/") {
		t.Fatalf("endpoint %q is not the simulator's", subscribed.Endpoint)
	}
	s.subscriptionID, s.endpoint = subscribed.ID, subscribed.Endpoint
	return s
}

// shownMessage is what herald-sw.js tells the page after showing a push.
type shownMessage struct {
	NotificationID string `json:"notification_id"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	Tag            string `json:"tag"`
	URL            string `json:"url"`
}

// TestFirefoxReceivesAndReports is the whole loop in a real browser, offline:
// the demo page subscribes through herald.js over Firefox's push socket (the
// simulator's WebSocket mode), Herald sends in the declarative format (the
// Declarative Web Push JSON Herald builds), Firefox decrypts, the service
// worker shows the notification and reports received, a click dispatched
// inside the worker takes the page to the notification's url and is counted,
// and forged reports are refused.
func TestFirefoxReceivesAndReports(t *testing.T) {
	needBrowsers(t)
	s := startFirefoxSession(t)
	p, f := s.p, s.front

	title, body, target := "Firefox says hi", "decrypted by a real browser", f.URL+"/demo/?clicked=body"
	n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target":       map[string]any{"subscription_ids": []string{s.subscriptionID}},
		"notification": map[string]any{"title": title, "body": body, "tag": "ff", "url": target},
		"format":       "declarative",
	}, 202)
	id := n["id"].(string)

	var m shownMessage
	f.awaitWorker(t, time.Minute, "shown", &m, nil)
	if m.Title != title || m.Body != body || m.NotificationID != id || m.URL != target {
		t.Fatalf("shown %+v, want title %q body %q url %q id %s", m, title, body, target, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.sim.WaitWebPush(ctx, func(_ []pushsim.WebPushChannel, msgs []pushsim.WebPushMessage) bool {
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

	// The notification is on screen with what was sent; a click (dispatched
	// inside the worker: headless Firefox cannot click) navigates the open
	// demo window to its url and is counted.
	var onScreen []struct {
		Title, Body, Tag string
		URL              string
	}
	f.run(t, `const reg = await navigator.serviceWorker.ready;
		return (await reg.getNotifications({tag: 'ff'})).map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.herald.url}));`, &onScreen)
	if len(onScreen) != 1 || onScreen[0].Title != title || onScreen[0].Body != body || onScreen[0].URL != target {
		t.Fatalf("notifications on screen %+v", onScreen)
	}
	// The click navigates this page, which may go before it reports the
	// command's result: wait for the navigation, not for the result.
	f.fire(`(await navigator.serviceWorker.ready).active.postMessage({test: 'click', tag: 'ff'});`)
	f.await(t, 30*time.Second, "page at the click target", func(r report) bool {
		return r.Kind == "loaded" && strings.Contains(string(r.Data), `"url":"`+target+`"`)
	})
	p.waitCount(id, "clicked", 1, 30*time.Second)
	// Firefox fires notificationclose for the notification the click closed:
	// that is not a dismissal.
	time.Sleep(time.Second)
	if c := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)["counts"].(map[string]any); c["dismissed"] != 0.0 {
		t.Fatalf("a click was also counted as a dismissal: %v", c)
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
	if after["received"] != 1.0 || after["clicked"] != 1.0 {
		t.Fatalf("forged events were counted: %v", after)
	}
	if c := p.call("GET", "/v1/notifications/"+otherID, p.apiKey, nil, 200)["counts"].(map[string]any); c["received"] != 0.0 {
		t.Fatalf("other notification counts %v", c)
	}
}

// TestFirefoxSubscriptionLifecycle keeps one user reachable while the
// browser's subscription changes under it, in real Firefox: herald.js renews
// a subscription that expires within 48 hours on page load, and when the push
// service drops the browser's registrations Firefox fires a real
// pushsubscriptionchange, which herald-sw.js answers by resubscribing through
// the replace route. Each time user and topics move to the new endpoint, the
// old subscription is unsubscribed, and a notification to the user arrives.
func TestFirefoxSubscriptionLifecycle(t *testing.T) {
	needBrowsers(t)
	s := startFirefoxSession(t)
	p, f := s.p, s.front

	// The user signs in: the page subscribes with user and topics.
	user := "u-42"
	var mine struct{ ID, Endpoint string }
	f.run(t, fmt.Sprintf(`return await Herald.subscribe({userId: %q, userHash: %q, topics: ['news', 'deals']});`,
		user, app.UserHash(s.secret, user)), &mine)
	if mine.ID != s.subscriptionID {
		t.Fatalf("subscribing again made subscription %s, want %s updated", mine.ID, s.subscriptionID)
	}
	checkMoved := func(oldID, newID string) {
		t.Helper()
		if newID == "" || newID == oldID {
			t.Fatalf("new subscription %q, old %q", newID, oldID)
		}
		got := p.call("GET", "/v1/subscriptions/"+newID, p.apiKey, nil, 200)
		if got["status"] != "active" || got["user_id"] != user || fmt.Sprint(got["topics"]) != "[deals news]" {
			t.Fatalf("new subscription %v, want active, user %s, topics deals+news", got, user)
		}
		if old := p.call("GET", "/v1/subscriptions/"+oldID, p.apiKey, nil, 200); old["status"] != "unsubscribed" {
			t.Fatalf("old subscription %v, want unsubscribed", old)
		}
	}
	deliverToUser := func(title string) {
		t.Helper()
		n := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
			"target": map[string]any{"user_ids": []string{user}}, "notification": map[string]any{"title": title, "tag": title}}, 202)
		id := n["id"].(string)
		f.awaitWorker(t, time.Minute, "shown", nil, func(d json.RawMessage) bool { return strings.Contains(string(d), `"title":"`+title+`"`) })
		got := p.waitCount(id, "received", 1, 30*time.Second)
		if c := got["counts"].(map[string]any); c["targeted"] != 1.0 || c["delivered"] != 1.0 {
			t.Fatalf("%s: counts %v, want the one live subscription", title, c)
		}
	}

	// 1. Renewal: the browser says the subscription expires in an hour (the
	// simulator's subscriptions never expire, so the page is told so), and
	// herald.js's page-load refresh replaces it.
	var renewed struct{ ID, Endpoint string }
	f.run(t, `Object.defineProperty(PushSubscription.prototype, 'expirationTime', {configurable: true, get() { return Date.now() + 3600e3; }});
		const s = await Herald.refresh();
		delete PushSubscription.prototype.expirationTime;
		return s;`, &renewed)
	if renewed.Endpoint == s.endpoint || !strings.HasPrefix(renewed.Endpoint, p.sim.PublicOrigin()+"/wpush/") {
		t.Fatalf("renewed endpoint %q (was %q)", renewed.Endpoint, s.endpoint)
	}
	checkMoved(s.subscriptionID, renewed.ID)
	deliverToUser("after renewal")

	// 2. The push service loses the browser: Firefox learns on reconnect and
	// fires pushsubscriptionchange; the worker resubscribes and replaces.
	uaid := ""
	for _, ch := range p.sim.WebPushChannels() {
		if ch.Endpoint == renewed.Endpoint {
			uaid = ch.UAID
		}
	}
	if !p.sim.ForgetWebPushBrowser(uaid) {
		t.Fatalf("the simulator does not know browser %q", uaid)
	}
	var moved struct {
		OldEndpoint string `json:"old_endpoint"`
		Endpoint    string `json:"endpoint"`
		Status      int    `json:"status"`
		Result      struct {
			ID       string `json:"id"`
			Replaced string `json:"replaced"`
		} `json:"result"`
	}
	f.awaitWorker(t, time.Minute, "resubscribed", &moved, nil)
	if moved.Status != 200 || moved.OldEndpoint != renewed.Endpoint || moved.Endpoint == renewed.Endpoint || moved.Result.Replaced != renewed.ID {
		t.Fatalf("pushsubscriptionchange handled as %+v", moved)
	}
	checkMoved(renewed.ID, moved.Result.ID)
	deliverToUser("after pushsubscriptionchange")
}
