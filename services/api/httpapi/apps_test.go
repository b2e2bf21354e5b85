package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/vapid"
)

func (h *harness) admin(method, path string, body any) response {
	h.t.Helper()
	return h.do(method, path, body, "Authorization", "Bearer "+adminToken)
}

func TestAppsListGetPatch(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		b := h.createApp()
		page := h.admin("GET", "/v1/apps?limit=1", nil)
		items, _ := page.body["items"].([]any)
		if page.status != 200 || len(items) != 1 || page.body["next_after"] != a.ID {
			t.Fatalf("page 1: %d %s", page.status, page.raw)
		}
		if first := items[0].(map[string]any); first["id"] != a.ID || first["vapid_public_key"] != a.VAPIDPublicKey || first["api_key"] != nil {
			t.Fatalf("listed app: %v", first)
		}
		last := h.admin("GET", "/v1/apps?limit=1&after="+a.ID, nil)
		if items := last.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != b.ID || last.body["next_after"] != nil {
			t.Fatalf("page 2: %s", last.raw)
		}
		if r := h.admin("GET", "/v1/apps?limit=0", nil); r.status != 422 || r.code() != "invalid_limit" {
			t.Fatalf("limit 0: %d %s", r.status, r.raw)
		}

		// PATCH changes what it names; the rest stays.
		r := h.admin("PATCH", "/v1/apps/"+a.ID, map[string]any{"allowed_origins": []string{"http://127.0.0.1:8080"}, "default_ttl": 600})
		if r.status != 200 || r.body["name"] != "Shop" || r.body["default_ttl"] != float64(600) ||
			len(r.body["allowed_origins"].([]any)) != 1 || r.body["allowed_origins"].([]any)[0] != "http://127.0.0.1:8080" {
			t.Fatalf("patch: %d %s", r.status, r.raw)
		}
		r = h.admin("PATCH", "/v1/apps/"+a.ID, map[string]any{"name": "Shop 2"})
		if r.status != 200 || r.body["name"] != "Shop 2" || r.body["default_ttl"] != float64(600) {
			t.Fatalf("patch name: %d %s", r.status, r.raw)
		}
		// The new origin works at once for browsers, the old one no longer.
		if r := h.do("GET", "/v1/apps/"+a.ID+"/vapid-public-key", nil, "Origin", "http://127.0.0.1:8080"); r.status != 200 {
			t.Fatalf("new origin: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/v1/apps/"+a.ID+"/vapid-public-key", nil, "Origin", pageOrigin); r.status != 403 ||
			!strings.Contains(r.raw2(), pageOrigin) || !strings.Contains(r.raw2(), "PATCH /v1/apps") {
			t.Fatalf("old origin: %d %s", r.status, r.raw)
		}
		// null resets a setting to the default.
		r = h.admin("PATCH", "/v1/apps/"+a.ID, []byte(`{"default_ttl": null}`))
		if r.status != 200 || r.body["default_ttl"] != nil {
			t.Fatalf("reset: %d %s", r.status, r.raw)
		}
		for _, c := range []struct {
			body   any
			status int
			code   string
			says   string
		}{
			{[]byte(`{"allowedOrigins": []}`), 400, "unknown_field", `did you mean "allowed_origins"`},
			{[]byte(`{"default_ttl": -1}`), 422, "invalid_default_ttl", "2419200"},
			{[]byte(`{"default_ttl": "1h"}`), 400, "invalid_json", "default_ttl"},
			{map[string]any{"name": ""}, 422, "invalid_name", "name"},
			{map[string]any{"allowed_origins": []string{"shop.example"}}, 422, "invalid_allowed_origins", "scheme://host"},
		} {
			r := h.admin("PATCH", "/v1/apps/"+a.ID, c.body)
			if r.status != c.status || r.code() != c.code || !strings.Contains(r.raw2(), c.says) {
				t.Errorf("patch %v: %d %s", c.body, r.status, r.raw)
			}
		}
		got := h.admin("GET", "/v1/apps/"+a.ID, nil)
		if got.status != 200 || got.body["name"] != "Shop 2" || got.body["vapid_public_key"] != a.VAPIDPublicKey {
			t.Fatalf("get: %d %s", got.status, got.raw)
		}
		for _, path := range []string{"/v1/apps/0190a000-0000-7000-8000-000000000000", "/v1/apps/nope"} {
			if r := h.admin("GET", path, nil); r.status != 404 || r.code() != "app_not_found" {
				t.Errorf("GET %s: %d %s", path, r.status, r.raw)
			}
		}
	})
}

// raw2 is the body as text, the error message unescaped.
func (r response) raw2() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return e["message"].(string)
	}
	return string(r.raw)
}

func TestDeleteAppRefusesWhileSending(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		a := h.createApp()
		bearer := "Bearer " + a.APIKey
		for i := range 3 {
			h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, listedOrigin+"/push/"+string(rune('a'+i)))}, "Authorization", bearer)
		}
		n := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
			"notification": map[string]any{"title": "later"}, "send_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "Authorization", bearer)
		if n.status != 202 {
			t.Fatalf("notification: %d %s", n.status, n.raw)
		}
		r := h.admin("DELETE", "/v1/apps/"+a.ID, nil)
		if r.status != 409 || r.code() != "app_busy" || !strings.Contains(r.raw2(), "3 subscriptions") || !strings.Contains(r.raw2(), "force=true") {
			t.Fatalf("delete while scheduled: %d %s", r.status, r.raw)
		}
		if r := h.admin("GET", "/v1/apps/"+a.ID, nil); r.status != 200 {
			t.Fatalf("refused delete deleted: %d", r.status)
		}
		r = h.admin("DELETE", "/v1/apps/"+a.ID+"?force=true", nil)
		deleted, _ := r.body["deleted"].(map[string]any)
		if r.status != 200 || deleted["subscriptions"] != float64(3) || deleted["notifications"] != float64(1) || deleted["api_keys"] != float64(1) {
			t.Fatalf("forced delete: %d %s", r.status, r.raw)
		}
		if r := h.admin("GET", "/v1/apps/"+a.ID, nil); r.status != 404 {
			t.Fatalf("after delete: %d", r.status)
		}
		if n := h.countSubscriptions(); n != 0 {
			t.Fatalf("%d subscriptions left", n)
		}
		if r := h.do("GET", "/v1/stats", nil, "Authorization", bearer); r.status != 401 {
			t.Fatalf("deleted app's key still works: %d", r.status)
		}
	})
}

func TestAPIKeysRotateWithoutDowntime(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	created := h.admin("POST", "/v1/apps/"+a.ID+"/api-keys", nil)
	newKey, _ := created.body["api_key"].(string)
	if created.status != 201 || !strings.HasPrefix(newKey, "hk_") || created.body["id"] == "" {
		t.Fatalf("create key: %d %s", created.status, created.raw)
	}
	sub := map[string]any{"subscription": browserSubscription(t, listedOrigin+"/push/k")}
	for _, k := range []string{a.APIKey, newKey} {
		if r := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+k); r.status/100 != 2 {
			t.Fatalf("key %s: %d %s", k[:11], r.status, r.raw)
		}
	}
	list := h.admin("GET", "/v1/apps/"+a.ID+"/api-keys", nil)
	items := list.body["items"].([]any)
	if list.status != 200 || len(items) != 2 || list.body["next_after"] != nil {
		t.Fatalf("list: %d %s", list.status, list.raw)
	}
	var oldID string
	for _, it := range items {
		k := it.(map[string]any)
		if k["api_key"] != nil || k["last_used_at"] == nil || len(k["prefix"].(string)) != 11 {
			t.Errorf("listed key: %v", k)
		}
		if strings.HasPrefix(a.APIKey, k["prefix"].(string)) {
			oldID = k["id"].(string)
		}
	}
	if strings.Contains(list.raw2(), a.APIKey) || strings.Contains(list.raw2(), newKey) {
		t.Fatal("the list shows a key")
	}
	if r := h.admin("DELETE", "/v1/apps/"+a.ID+"/api-keys/"+oldID, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+a.APIKey); r.status != 401 || r.code() != "invalid_api_key" {
		t.Fatalf("revoked key: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+newKey); r.status != 200 {
		t.Fatalf("new key after revoke: %d %s", r.status, r.raw)
	}
	if r := h.admin("DELETE", "/v1/apps/"+a.ID+"/api-keys/"+oldID, nil); r.status != 404 || r.code() != "api_key_not_found" {
		t.Fatalf("revoke twice: %d %s", r.status, r.raw)
	}
}

// Each way of getting authorization wrong gets its own message.
func TestAuthorizationMessages(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	a := h.createApp()
	cases := []struct {
		path, auth, code, says string
	}{
		{"/v1/apps", "", "unauthorized", "needs the admin token"},
		{"/v1/apps", "Token " + adminToken, "unauthorized", "malformed Authorization"},
		{"/v1/apps", "Bearer nope", "unauthorized", "wrong admin token"},
		{"/v1/apps", "Bearer " + a.APIKey, "unauthorized", "is an app's API key"},
		{"/v1/stats", "", "invalid_api_key", "needs one of the app's API keys"},
		{"/v1/stats", "Basic abc", "invalid_api_key", "malformed Authorization"},
		{"/v1/stats", "Bearer " + adminToken, "invalid_api_key", "the admin token acts for none"},
		{"/v1/stats", "Bearer hk_nope", "invalid_api_key", "missing, wrong or revoked"},
	}
	seen := map[string]string{}
	for _, c := range cases {
		r := h.do("GET", c.path, nil, "Authorization", c.auth)
		msg, _ := r.body["error"].(map[string]any)["message"].(string)
		if r.status != 401 || r.code() != c.code || !strings.Contains(msg, c.says) {
			t.Errorf("%s with %q: %d %s", c.path, c.auth, r.status, r.raw)
		}
		if prev, dup := seen[msg]; dup {
			t.Errorf("%q and %q get the same message", prev, c.auth)
		}
		seen[msg] = c.auth
	}
}

func TestVAPIDKeysImportRotateDelete(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, h *harness) {
		kp, _ := vapid.Generate()
		r := h.admin("POST", "/v1/apps", map[string]any{"name": "migrated", "vapid_public_key": kp.PublicKey(), "vapid_private_key": kp.PrivateKey()})
		if r.status != 201 || r.body["vapid_public_key"] != kp.PublicKey() {
			t.Fatalf("create with imported pair: %d %s", r.status, r.raw)
		}
		appID, apiKey := r.body["id"].(string), r.body["api_key"].(string)
		other, _ := vapid.Generate()
		if r := h.admin("POST", "/v1/apps", map[string]any{"name": "x", "vapid_public_key": other.PublicKey(), "vapid_private_key": kp.PrivateKey()}); r.status != 422 || r.code() != "vapid_key_mismatch" {
			t.Fatalf("mismatched pair: %d %s", r.status, r.raw)
		}
		endpoint := listedOrigin + "/push/old"
		sub := map[string]any{"subscription": browserSubscription(t, endpoint), "user_id": "u1"}
		if r := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+apiKey); r.status != 201 {
			t.Fatalf("subscribe: %d %s", r.status, r.raw)
		}

		// Rotation with no body: a fresh key becomes the one pages get.
		rot := h.admin("POST", "/v1/apps/"+appID+"/vapid-keys", nil)
		newPublic, _ := rot.body["public_key"].(string)
		if rot.status != 201 || rot.body["active"] != true || newPublic == kp.PublicKey() || rot.body["private_key"] != nil {
			t.Fatalf("rotate: %d %s", rot.status, rot.raw)
		}
		if r := h.do("GET", "/v1/apps/"+appID+"/vapid-public-key", nil); r.body["public_key"] != newPublic {
			t.Fatalf("pages still get %v", r.body["public_key"])
		}
		// The same endpoint posted again (a page load re-posting) keeps the
		// key it was made with; a new endpoint gets the new key.
		if r := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+apiKey); r.status != 200 {
			t.Fatalf("re-subscribe: %d %s", r.status, r.raw)
		}
		h.do("POST", "/v1/subscriptions", map[string]any{"subscription": browserSubscription(t, listedOrigin+"/push/new")}, "Authorization", "Bearer "+apiKey)
		list := h.admin("GET", "/v1/apps/"+appID+"/vapid-keys", nil)
		items := list.body["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("keys: %s", list.raw)
		}
		newest, oldest := items[0].(map[string]any), items[1].(map[string]any)
		if newest["public_key"] != newPublic || newest["active_subscriptions"] != float64(1) ||
			oldest["public_key"] != kp.PublicKey() || oldest["active"] != false || oldest["retired_at"] == nil || oldest["active_subscriptions"] != float64(1) {
			t.Fatalf("keys: %s", list.raw)
		}
		oldID := oldest["id"].(string)
		if r := h.admin("DELETE", "/v1/apps/"+appID+"/vapid-keys/"+newest["id"].(string), nil); r.status != 409 || r.code() != "vapid_key_active" {
			t.Fatalf("delete active: %d %s", r.status, r.raw)
		}
		if r := h.admin("DELETE", "/v1/apps/"+appID+"/vapid-keys/"+oldID, nil); r.status != 409 || r.code() != "vapid_key_in_use" || !strings.Contains(r.raw2(), "1 active") {
			t.Fatalf("delete held key: %d %s", r.status, r.raw)
		}
		// Once its subscription is gone (unsubscribed), the old key can go.
		subID := h.do("POST", "/v1/subscriptions", sub, "Authorization", "Bearer "+apiKey).body["id"].(string)
		h.do("DELETE", "/v1/subscriptions/"+subID, nil, "Authorization", "Bearer "+apiKey)
		if r := h.admin("DELETE", "/v1/apps/"+appID+"/vapid-keys/"+oldID, nil); r.status != 204 {
			t.Fatalf("delete free key: %d %s", r.status, r.raw)
		}
		if n := h.countSubscriptions(); n != 1 {
			t.Fatalf("%d subscriptions after deleting the old key's, want 1", n)
		}
		// Import through the key route: as web-push prints a pair.
		imp, _ := vapid.Generate()
		if r := h.admin("POST", "/v1/apps/"+appID+"/vapid-keys", map[string]any{"public_key": imp.PublicKey(), "private_key": imp.PrivateKey()}); r.status != 201 || r.body["public_key"] != imp.PublicKey() {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		if r := h.admin("POST", "/v1/apps/"+appID+"/vapid-keys", map[string]any{"public_key": imp.PublicKey(), "private_key": "short"}); r.status != 422 || r.code() != "invalid_vapid_key" {
			t.Fatalf("bad private key: %d %s", r.status, r.raw)
		}
		if r := h.admin("POST", "/v1/apps/"+appID+"/vapid-keys", map[string]any{"publicKey": "x"}); r.status != http.StatusBadRequest || r.code() != "unknown_field" {
			t.Fatalf("unknown field: %d %s", r.status, r.raw)
		}
	})
}
