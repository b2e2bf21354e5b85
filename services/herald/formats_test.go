package main

import (
	"testing"
)

// The payload format through the API: the app's default_format applies to
// notifications that name none, a notification's own format wins, GET shows
// format and app_badge, and bad values are refused with their codes.
func TestPayloadFormatsThroughTheAPI(t *testing.T) {
	p := startPipeline(t)
	appID, _ := browserApp(t, p, "https://shop.example")
	path := "/v1/apps/" + appID

	// The simulator's endpoints are no Apple push service: auto sends them
	// the standard payload.
	id, payload := p.simPayloadOf(map[string]any{"notification": map[string]any{"title": "auto", "url": "/a"}, "app_badge": 2})
	if payload["web_push"] != nil || payload["title"] != "auto" || payload["app_badge"] != 2.0 {
		t.Fatalf("auto to a non-Apple endpoint: %v", payload)
	}
	got := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)
	if got["format"] != "auto" || got["app_badge"] != 2.0 {
		t.Fatalf("GET shows format %v app_badge %v", got["format"], got["app_badge"])
	}

	if s := p.call("PATCH", path, testAdminToken, map[string]any{"default_format": "declarative"}, 200); s["default_format"] != "declarative" {
		t.Fatalf("after PATCH: %v", s)
	}
	_, payload = p.simPayloadOf(map[string]any{"notification": map[string]any{"title": "app default", "url": "/orders/1"}})
	n, _ := payload["notification"].(map[string]any)
	if payload["web_push"] != 8030.0 || n["navigate"] != "https://shop.example/orders/1" || payload["mutable"] != true {
		t.Fatalf("the app's default_format declarative: %v", payload)
	}
	_, payload = p.simPayloadOf(map[string]any{"notification": map[string]any{"title": "own"}, "format": "standard"})
	if payload["web_push"] != nil || payload["title"] != "own" {
		t.Fatalf("a notification's format standard over the app default: %v", payload)
	}

	p.call("PATCH", path, testAdminToken, map[string]any{"default_format": "webkit"}, 422)
	for body, code := range map[string]string{
		`{"format": "webkit"}`: "invalid_format",
		`{"app_badge": -1}`:    "invalid_app_badge",
		`{"app_badge": "3"}`:   "invalid_json",
	} {
		var req map[string]any
		if err := jsonUnmarshal(body, &req); err != nil {
			t.Fatal(err)
		}
		req["target"] = map[string]any{"all": true}
		req["notification"] = map[string]any{"title": "x"}
		want := 422
		if code == "invalid_json" {
			want = 400
		}
		if e := p.call("POST", "/v1/notifications", p.apiKey, req, want)["error"].(map[string]any); e["code"] != code {
			t.Errorf("%s: %v, want %s", body, e, code)
		}
	}
}
