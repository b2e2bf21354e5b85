package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// subscribeWith registers one simulated browser with extra subscription
// fields (user_id, topics, timezone) and returns the simulator's id and
// Herald's.
func (p *pipeline) subscribeWith(fields map[string]any) (simID, heraldID string) {
	p.t.Helper()
	subs, err := p.sim.MintN(1, pushsim.Behavior{})
	if err != nil {
		p.t.Fatal(err)
	}
	body := map[string]any{"subscription": subs[0].ToJSON()}
	for k, v := range fields {
		body[k] = v
	}
	return subs[0].ID, p.call("POST", "/v1/subscriptions", p.apiKey, body, 201)["id"].(string)
}

// A segment target reaches exactly the subscriptions whose topics satisfy
// it; the preview counts the same audience; a malformed expression is a
// 422 that says where; the notification shows its segment canonically.
func TestSegmentTargetPreviewAndErrors(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	want := map[string]bool{}
	for i, topics := range [][]string{{"news", "de"}, {"news", "at"}, {"news", "de", "muted"}, {"news"}, {"de"}, {"news", "at", "x"}, {}} {
		simID, _ := p.subscribeWith(map[string]any{"topics": topics})
		if i == 0 || i == 1 || i == 5 {
			want[simID] = true
		}
	}
	preview := p.call("POST", "/v1/segments/preview", p.apiKey, map[string]any{"segment": "news&&(de||at)&&!muted"}, 200)
	if preview["audience"] != float64(3) || preview["segment"] != "news && (de || at) && !muted" || preview["at_least"] != false {
		t.Fatalf("preview %v", preview)
	}
	if again := p.call("POST", "/v1/segments/preview", p.apiKey, map[string]any{"segment": "news && (de || at) && !muted"}, 200); again["cached"] != true {
		t.Fatalf("second preview not cached: %v", again)
	}
	bad := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"segment": "news && (de || "}, "notification": map[string]any{"title": "x"}}, 422)
	if e := bad["error"].(map[string]any); e["code"] != "invalid_segment" || !strings.Contains(e["message"].(string), "position 15") {
		t.Fatalf("invalid segment: %v", e)
	}
	p.call("POST", "/v1/segments/preview", p.apiKey, map[string]any{"segment": "a &"}, 422)
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"segment": "news && (de || at) && !muted"}, "notification": map[string]any{"title": "Nachrichten"}}, 202)
	n := p.waitCompleted(created["id"].(string), time.Minute)
	if got := counts(n); got != "targeted=3 delivered=3 gone=0 dead=0 pending=0" {
		t.Fatalf("counts %s", got)
	}
	if n["target"].(map[string]any)["segment"] != "news && (de || at) && !muted" {
		t.Fatalf("target %v", n["target"])
	}
	for simID := range want {
		if len(p.sim.Deliveries(simID)) != 1 {
			t.Fatalf("%s in the segment got %d messages", simID, len(p.sim.Deliveries(simID)))
		}
	}
	if got := p.sim.Stats().Delivered; got != 3 {
		t.Fatalf("%d delivered, want 3", got)
	}
}

// A cart-recovery series (30 min, 2 h, 24 h) with one cancel key is
// cancelled at once when the user checks out; another key's series and
// finished notifications stay as they are.
func TestCancelKeyCancelsASeries(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	p.subscribeWith(map[string]any{"user_id": "42"})
	var series []string
	for _, after := range []time.Duration{30 * time.Minute, 2 * time.Hour, 24 * time.Hour} {
		r := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
			"target": map[string]any{"user_ids": []string{"42"}}, "notification": map[string]any{"title": "your cart"},
			"send_at": time.Now().Add(after).UTC().Format(time.RFC3339), "cancel_key": "cart-42"}, 202)
		if r["status"] != "scheduled" {
			t.Fatalf("status %v", r["status"])
		}
		series = append(series, r["id"].(string))
	}
	other := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"user_ids": []string{"42"}}, "notification": map[string]any{"title": "other cart"},
		"send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "cancel_key": "cart-43"}, 202)["id"].(string)
	sent := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"user_ids": []string{"42"}}, "notification": map[string]any{"title": "now"}, "cancel_key": "cart-42"}, 202)["id"].(string)
	p.waitCompleted(sent, time.Minute)

	got := p.call("DELETE", "/v1/notifications?cancel_key=cart-42", p.apiKey, nil, 200)
	if got["cancelled"] != float64(3) {
		t.Fatalf("cancelled %v, want 3", got)
	}
	for _, id := range series {
		if n := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200); n["status"] != "cancelled" || n["cancel_key"] != "cart-42" {
			t.Fatalf("series notification: %v %v", n["status"], n["cancel_key"])
		}
	}
	if n := p.call("GET", "/v1/notifications/"+other, p.apiKey, nil, 200); n["status"] != "scheduled" {
		t.Fatalf("another key's notification is %v", n["status"])
	}
	if again := p.call("DELETE", "/v1/notifications?cancel_key=cart-42", p.apiKey, nil, 200); again["cancelled"] != float64(0) {
		t.Fatalf("second cancel: %v", again)
	}
	p.call("DELETE", "/v1/notifications", p.apiKey, nil, 422)
	p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "x"}, "cancel_key": strings.Repeat("k", 256)}, 422)
}

// PATCH /v1/apps/{id} sets, replaces and clears the delivery settings,
// refuses wrong ones saying what to fix, and keeps what it is not given.
func TestAppSettingsPatch(t *testing.T) {
	t.Parallel()
	p := startPipeline(t)
	appID := p.call("POST", "/v1/apps", testAdminToken, map[string]any{"name": "settings"}, 201)["id"].(string)
	path := "/v1/apps/" + appID
	got := p.call("PATCH", path, testAdminToken, map[string]any{
		"quiet_hours":         map[string]any{"start": "22:00", "end": "08:00"},
		"frequency_caps":      []map[string]any{{"per": "user", "max": 5, "window": "1h"}, {"per": "topic", "max": 5, "window": "24h"}, {"per": "category", "max": 2, "window": "7d"}},
		"default_timezone":    "Europe/Vienna",
		"throttle_per_minute": 3000,
	}, 200)
	if fmt.Sprint(got["quiet_hours"]) != "map[end:08:00 start:22:00]" || got["default_timezone"] != "Europe/Vienna" || got["throttle_per_minute"] != float64(3000) {
		t.Fatalf("after patch: %v", got)
	}
	if caps := fmt.Sprint(got["frequency_caps"]); caps != "[map[max:5 per:user window:1h] map[max:5 per:topic window:24h] map[max:2 per:category window:7d]]" {
		t.Fatalf("caps %s", caps)
	}
	got = p.call("PATCH", path, testAdminToken, map[string]any{"quiet_hours": nil, "throttle_per_minute": nil}, 200)
	if got["quiet_hours"] != nil || got["throttle_per_minute"] != nil || got["default_timezone"] != "Europe/Vienna" || len(got["frequency_caps"].([]any)) != 3 {
		t.Fatalf("after clearing: %v", got)
	}
	for body, code := range map[string]string{
		`{"quiet_hours": {"start": "22:00", "end": "22:00"}}`:                "invalid_quiet_hours",
		`{"quiet_hours": {"start": "25:00", "end": "08:00"}}`:                "invalid_quiet_hours",
		`{"frequency_caps": [{"per": "day", "max": 5, "window": "1h"}]}`:     "invalid_frequency_caps",
		`{"frequency_caps": [{"per": "user", "max": 0, "window": "1h"}]}`:    "invalid_frequency_caps",
		`{"frequency_caps": [{"per": "user", "max": 5, "window": "1s"}]}`:    "invalid_frequency_caps",
		`{"default_timezone": "Mars/Olympus"}`:                               "invalid_default_timezone",
		`{"throttle_per_minute": 0}`:                                         "invalid_throttle_per_minute",
		`{"quiet_hours": {"start": "22:00", "end": "08:00", "days": "mon"}}`: "unknown_field",
		`{"quiet_hour": {"start": "22:00", "end": "08:00"}}`:                 "unknown_field",
	} {
		var parsed map[string]any
		if err := jsonUnmarshal(body, &parsed); err != nil {
			t.Fatal(err)
		}
		want := 422
		if code == "invalid_json" || code == "unknown_field" {
			want = 400
		}
		e := p.call("PATCH", path, testAdminToken, parsed, want)["error"].(map[string]any)
		if e["code"] != code {
			t.Errorf("%s: %v, want %s", body, e, code)
		}
	}
	p.call("PATCH", path, p.apiKey, map[string]any{"throttle_per_minute": 1}, 401)
	p.call("PATCH", "/v1/apps/00000000-0000-7000-8000-000000000000", testAdminToken, map[string]any{"throttle_per_minute": 1}, 404)
}

// Eight notifications to one user under a cap of five per hour, delivered
// by two worker processes at once: exactly five reach the browser, three
// are counted capped, and each notification's counts add up.
func TestFrequencyCapAcrossTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	push := pushsim.New(pushsim.Config{})
	ts := httptest.NewServer(push.Handler())
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)
	apis := startFleet(t, 2, []string{ts.URL}).apis
	created := postJSON(t, apis[0]+"/v1/apps", testAdminToken, map[string]any{"name": "caps"}, 201)
	key := created["api_key"].(string)
	p := &pipeline{t: t, apiURL: apis[0]}
	p.call("PATCH", "/v1/apps/"+created["id"].(string), testAdminToken, map[string]any{
		"frequency_caps": []map[string]any{{"per": "user", "max": 5, "window": "1h"}}}, 200)
	sub, _ := push.MintN(1, pushsim.Behavior{})
	postJSON(t, apis[1]+"/v1/subscriptions", key, map[string]any{"subscription": sub[0].ToJSON(), "user_id": "42"}, 201)

	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			ids[i] = postJSON(t, apis[i%2]+"/v1/notifications", key, map[string]any{
				"target": map[string]any{"user_ids": []string{"42"}}, "notification": map[string]any{"title": fmt.Sprint("deal ", i)}}, 202)["id"].(string)
		})
	}
	wg.Wait()
	var delivered, capped float64
	deadline := time.Now().Add(time.Minute)
	for _, id := range ids {
		for {
			n := getJSON(t, apis[0]+"/v1/notifications/"+id, key)
			if n["status"] == "completed" {
				c := n["counts"].(map[string]any)
				if c["targeted"] != c["delivered"].(float64)+c["capped"].(float64) || c["pending"] != float64(0) {
					t.Fatalf("counts %v", c)
				}
				delivered += c["delivered"].(float64)
				capped += c["capped"].(float64)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not completed: %v", n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if delivered != 5 || capped != 3 || push.Stats().Delivered != 5 {
		t.Fatalf("delivered %v capped %v (browser got %d); want 5 and 3", delivered, capped, push.Stats().Delivered)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
