package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// browserClient is a browser's cookie jar that does not follow redirects,
// so the test sees where a click link sends it.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// visit GETs link and returns status and Location.
func visit(t *testing.T, c *http.Client, link string) (int, string) {
	t.Helper()
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// With click_tracking "link", url and each action's url are signed Herald
// links: a visit counts the click once per recipient and redirects to the
// target; a link Herald did not sign, or one changed, redirects nowhere and
// counts nothing. With "page", the target carries herald_click for
// herald.js to report.
func TestClickLinksCountOnceAndRedirect(t *testing.T) {
	p := startPipeline(t)
	appID, _ := browserApp(t, p, "https://shop.example")
	p.call("PATCH", "/v1/apps/"+appID, testAdminToken, map[string]any{"click_tracking": "link"}, 200)

	id, payload := p.simPayloadOf(map[string]any{"format": "declarative", "notification": map[string]any{
		"title": "Sale", "url": "/sale?x=1",
		"actions": []map[string]any{{"action": "buy", "title": "Buy", "url": "https://shop.example/buy"}}}})
	n := payload["notification"].(map[string]any)
	link := n["navigate"].(string)
	if !strings.HasPrefix(link, p.apiURL+"/v1/clicks/"+id+"?") || payload["click_report"] != "link" {
		t.Fatalf("navigate %q (click_report %v), want a Herald click link", link, payload["click_report"])
	}
	buy := n["actions"].([]any)[0].(map[string]any)["navigate"].(string)

	alice, bob := browserClient(t), browserClient(t)
	clicked := func() float64 {
		return p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)["counts"].(map[string]any)["clicked"].(float64)
	}
	if status, to := visit(t, alice, link); status != 302 || to != "https://shop.example/sale?x=1" {
		t.Fatalf("first click: %d to %q", status, to)
	}
	if got := clicked(); got != 1 {
		t.Fatalf("clicked = %v after one click", got)
	}
	// The same browser again (its cookie): redirected, not counted again.
	if status, to := visit(t, alice, link); status != 302 || to != "https://shop.example/sale?x=1" {
		t.Fatalf("second click: %d to %q", status, to)
	}
	if status, to := visit(t, alice, buy); status != 302 || to != "https://shop.example/buy" {
		t.Fatalf("action click: %d to %q", status, to)
	}
	if got := clicked(); got != 1 {
		t.Fatalf("clicked = %v after the same browser clicked again", got)
	}
	// The link forwarded to another browser is still this recipient's
	// message: it redirects and counts nothing more.
	if status, to := visit(t, bob, link); status != 302 || to != "https://shop.example/sale?x=1" {
		t.Fatalf("forwarded link: %d to %q", status, to)
	}
	if got := clicked(); got != 1 {
		t.Fatalf("clicked = %v after the link was forwarded", got)
	}
	// Without the recipient's token (r changed or removed), it redirects
	// and counts nothing.
	u, _ := url.Parse(link)
	for _, r := range []string{"", "v1.notthetoken", u.Query().Get("r")[:len(u.Query().Get("r"))-2] + "AA"} {
		q := u.Query()
		q.Set("r", r)
		changed := *u
		changed.RawQuery = q.Encode()
		if status, to := visit(t, browserClient(t), changed.String()); status != 302 || to != "https://shop.example/sale?x=1" {
			t.Fatalf("r %q: %d to %q", r, status, to)
		}
	}
	// Another recipient's message counts.
	otherID, other := p.simPayloadOf(map[string]any{"format": "declarative", "notification": map[string]any{"title": "Sale", "url": "/sale?x=1"}})
	visit(t, bob, other["notification"].(map[string]any)["navigate"].(string))
	if c := p.call("GET", "/v1/notifications/"+otherID, p.apiKey, nil, 200)["counts"].(map[string]any)["clicked"]; c != 1.0 {
		t.Fatalf("clicked = %v on the other recipient's message", c)
	}
	if got := clicked(); got != 1 {
		t.Fatalf("clicked = %v after a changed r", got)
	}

	// No open redirect: a changed target, action or signature, or a link
	// made up, is 404 and goes nowhere.
	for name, change := range map[string]func(q url.Values){
		"target":    func(q url.Values) { q.Set("u", "https://evil.example/") },
		"action":    func(q url.Values) { q.Set("a", "buy") },
		"signature": func(q url.Values) { q.Set("s", strings.Repeat("A", 22)) },
		"unsigned":  func(q url.Values) { q.Del("s") },
	} {
		q := u.Query()
		change(q)
		forged := *u
		forged.RawQuery = q.Encode()
		if status, to := visit(t, browserClient(t), forged.String()); status != 404 || to != "" {
			t.Errorf("%s changed: %d to %q, want 404 and no redirect", name, status, to)
		}
	}
	if got := clicked(); got != 1 {
		t.Fatalf("clicked = %v after forged links", got)
	}

	// "page": the target itself, with herald_click for herald.js.
	p.call("PATCH", "/v1/apps/"+appID, testAdminToken, map[string]any{"click_tracking": "page"}, 200)
	id, payload = p.simPayloadOf(map[string]any{"notification": map[string]any{"title": "Page", "url": "https://shop.example/p?x=1"}})
	landing, _ := url.Parse(payload["url"].(string))
	if landing.Host != "shop.example" || landing.Query().Get("x") != "1" ||
		landing.Query().Get("herald_click") != id+":"+payload["event_token"].(string) || payload["click_report"] != "page" {
		t.Fatalf("page mode url %v (click_report %v)", landing, payload["click_report"])
	}
	p.call("PATCH", "/v1/apps/"+appID, testAdminToken, map[string]any{"click_tracking": "everything"}, 422)
}
