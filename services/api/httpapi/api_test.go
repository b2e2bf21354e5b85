package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/app"
)

func TestAppAndSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		if len(a.VAPIDPublicKey) != 87 || !strings.HasPrefix(a.APIKey, "hk_") {
			t.Fatalf("app = %+v", a)
		}
		r := h.do("GET", "/v1/apps/"+a.ID+"/vapid-public-key", nil, "Origin", pageOrigin)
		if r.status != 200 || r.body["public_key"] != a.VAPIDPublicKey || r.header.Get("Access-Control-Allow-Origin") != pageOrigin {
			t.Fatalf("vapid-public-key: %d %s %v", r.status, r.raw, r.header)
		}

		// A browser subscribes, then subscribes again: same id, 201 then 200.
		sub := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/abc")
		body := map[string]any{"subscription": sub, "user_id": "u-1",
			"user_hash": app.UserHash(a.IdentitySecret, "u-1"), "topics": []string{"news"}, "timezone": "Europe/Paris"}
		first := h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", body, "Origin", pageOrigin)
		if first.status != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", first.status, first.raw)
		}
		body["topics"] = []string{"sale"}
		again := h.do("POST", "/v1/apps/"+a.ID+"/subscriptions", body, "Origin", pageOrigin)
		if again.status != http.StatusOK || again.body["id"] != first.body["id"] {
			t.Fatalf("re-subscribe: %d %s (first %s)", again.status, again.raw, first.raw)
		}
		if n := h.countSubscriptions(); n != 1 {
			t.Fatalf("%d subscriptions, want 1", n)
		}

		// The backend reads it and deletes it.
		id := first.body["id"].(string)
		bearer := "Bearer " + a.APIKey
		got := h.do("GET", "/v1/subscriptions/"+id, nil, "Authorization", bearer)
		if got.status != 200 || got.body["status"] != "active" || got.body["user_id"] != "u-1" ||
			len(got.body["topics"].([]any)) != 1 || got.body["topics"].([]any)[0] != "sale" {
			t.Fatalf("get: %d %s", got.status, got.raw)
		}
		if r := h.do("DELETE", "/v1/subscriptions/"+id, nil, "Authorization", bearer); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/v1/subscriptions/"+id, nil, "Authorization", bearer); r.body["status"] != "unsubscribed" {
			t.Fatalf("after delete: %s", r.raw)
		}

		// Server to server: the API key vouches for user_id, no hash needed.
		srv := h.do("POST", "/v1/subscriptions", map[string]any{
			"subscription": browserSubscription(t, listedOrigin+"/push/1"), "user_id": "u-2"}, "Authorization", bearer)
		if srv.status != http.StatusCreated {
			t.Fatalf("server subscribe: %d %s", srv.status, srv.raw)
		}
	})
}

func TestRejectionsStoreNothing(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		good := browserSubscription(t, "https://fcm.googleapis.com/fcm/send/x")
		keys := good["keys"].(map[string]any)
		with := func(endpoint string, p256dh, auth any) map[string]any {
			return map[string]any{"subscription": map[string]any{"endpoint": endpoint,
				"keys": map[string]any{"p256dh": p256dh, "auth": auth}}}
		}
		fcm := "https://fcm.googleapis.com/fcm/send/x"
		p256 := keys["p256dh"].(string)
		auth := keys["auth"].(string)
		raw := mustDecode(t, p256)
		offCurve := append([]byte{}, raw...)
		offCurve[64] ^= 0xff
		public := "/v1/apps/" + a.ID + "/subscriptions"
		bearer := "Bearer " + a.APIKey
		cases := []struct {
			name    string
			path    string
			body    any
			headers []string
			status  int
			code    string
		}{
			{"bad base64 key", public, with(fcm, "@@@@", auth), nil, 422, "invalid_p256dh"},
			{"64-byte key", public, with(fcm, b64(raw[:64]), auth), nil, 422, "invalid_p256dh"},
			{"65-byte key off the curve", public, with(fcm, b64(offCurve), auth), nil, 422, "invalid_p256dh"},
			{"15-byte auth", public, with(fcm, p256, b64(make([]byte, 15))), nil, 422, "invalid_auth"},
			{"http endpoint not listed", public, with("http://push.example/x", p256, auth), nil, 422, "endpoint_not_allowed"},
			{"127.0.0.1 not listed", public, with("https://127.0.0.1/x", p256, auth), nil, 422, "endpoint_not_allowed"},
			{"10.0.0.1 not listed", public, with("https://10.0.0.1/x", p256, auth), nil, 422, "endpoint_not_allowed"},
			{"2 MB body", public, []byte(`{"subscription":{"endpoint":"` + strings.Repeat("a", 2<<20) + `"}}`), nil, 413, "body_too_large"},
			{"unknown app", "/v1/apps/0190a000-0000-7000-8000-000000000000/subscriptions", with(fcm, p256, auth), nil, 404, "app_not_found"},
			{"malformed app id", "/v1/apps/nope/subscriptions", with(fcm, p256, auth), nil, 404, "app_not_found"},
			{"wrong API key", "/v1/subscriptions", with(fcm, p256, auth), []string{"Authorization", bearer + "x"}, 401, "invalid_api_key"},
			{"no API key", "/v1/subscriptions", with(fcm, p256, auth), nil, 401, "invalid_api_key"},
			{"user_id without user_hash", public, merge(with(fcm, p256, auth), "user_id", "victim"), nil, 403, "invalid_user_hash"},
			{"user_id with another user's hash", public, merge(merge(with(fcm, p256, auth), "user_id", "victim"), "user_hash", app.UserHash(a.IdentitySecret, "me")), nil, 403, "invalid_user_hash"},
			{"malformed JSON", public, []byte(`{"subscription": {`), nil, 400, "invalid_json"},
			{"wrong JSON type", public, []byte(`{"subscription": "x"}`), nil, 400, "invalid_json"},
			{"empty body", public, []byte(``), nil, 400, "invalid_json"},
			{"origin not allowed", public, with(fcm, p256, auth), []string{"Origin", "https://evil.example"}, 403, "origin_not_allowed"},
			{"missing endpoint", public, with("", p256, auth), nil, 422, "invalid_endpoint"},
			{"no Origin on the public route", public, with(fcm, p256, auth), []string{"User-Agent", "curl/8"}, 403, "origin_required"},
		}
		for _, c := range cases {
			if c.headers == nil && c.path != "/v1/subscriptions" {
				c.headers = []string{"Origin", pageOrigin} // a page of the app
			}
			r := h.do("POST", c.path, c.body, c.headers...)
			if r.status != c.status || r.code() != c.code {
				t.Errorf("%s: got %d %q, want %d %q (%.200s)", c.name, r.status, r.code(), c.status, c.code, r.raw)
			}
			if msg, _ := r.body["error"].(map[string]any)["message"].(string); msg == "" {
				t.Errorf("%s: no error message", c.name)
			}
		}
		if n := h.countSubscriptions(); n != 0 {
			t.Fatalf("rejected requests stored %d subscriptions", n)
		}
	})
}

func TestAdminAuthAndErrors(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	body := map[string]any{"name": "x"}
	for _, auth := range []string{"", "Bearer wrong", "Basic " + adminToken, "Bearer " + adminToken + "x"} {
		if r := h.do("POST", "/v1/apps", body, "Authorization", auth); r.status != 401 || r.code() != "unauthorized" {
			t.Errorf("auth %q: %d %s", auth, r.status, r.raw)
		}
	}
	if r := h.do("POST", "/v1/apps", map[string]any{"name": "x", "allowed_origins": []string{"not an origin"}},
		"Authorization", "Bearer "+adminToken); r.status != 422 || r.code() != "invalid_allowed_origins" {
		t.Errorf("bad origin: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/nothing", nil); r.status != 404 || r.code() != "not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.raw)
	}
	if r := h.do("PUT", "/v1/apps", nil); r.status != 405 || r.code() != "method_not_allowed" {
		t.Errorf("wrong method: %d %s", r.status, r.raw)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := h.do("GET", path, nil); r.status != 200 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	if r := h.do("GET", "/metrics", nil); r.status != 200 || !strings.Contains(string(r.raw), "go_goroutines") {
		t.Errorf("/metrics: %d", r.status)
	}
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	path := "/v1/apps/" + a.ID + "/subscriptions"
	r := h.do("OPTIONS", path, nil, "Origin", pageOrigin, "Access-Control-Request-Method", "POST")
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != pageOrigin ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("allowed preflight: %d %v", r.status, r.header)
	}
	r = h.do("OPTIONS", path, nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("refused preflight: %d %v", r.status, r.header)
	}
}
