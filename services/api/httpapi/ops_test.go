package httpapi

import (
	"strings"
	"testing"

	"github.com/heraldpush/herald/pkg/testkit/dbtest"
)

// The dashboard page and its assets are served to anyone (they hold no
// data) under a strict CSP; its JSON needs the admin token.
func TestDashboardServedAndAdminGuarded(t *testing.T) {
	t.Parallel()
	h := setup(t, dbtest.Postgres(t))
	page := h.do("GET", "/dashboard", nil)
	if page.status != 200 || !strings.Contains(string(page.raw), `id="login"`) ||
		!strings.Contains(page.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("dashboard: %d %q", page.status, page.header)
	}
	for _, asset := range []string{"dashboard.js", "linechart.js", "dashboard.css"} {
		if r := h.do("GET", "/dashboard/assets/"+asset, nil); r.status != 200 || len(r.raw) < 100 {
			t.Fatalf("%s: %d", asset, r.status)
		}
	}
	if r := h.do("GET", "/dashboard/assets/missing.js", nil); r.status != 404 {
		t.Fatalf("missing asset: %d", r.status)
	}
	for _, path := range []string{"/v1/admin/stats", "/v1/admin/dead-letters"} {
		if r := h.do("GET", path, nil, "Authorization", "Bearer wrong"); r.status != 401 || r.code() != "unauthorized" {
			t.Fatalf("%s with a wrong token: %d %s", path, r.status, r.code())
		}
	}
	if r := h.do("POST", "/v1/admin/dead-letters/x/retry", nil); r.status != 401 {
		t.Fatalf("retry without a token: %d", r.status)
	}
}

// GET /v1/admin/notifications/{id} shows the operator any app's
// notification as the app sees it, variants included; others get 401.
func TestAdminNotificationDetail(t *testing.T) {
	t.Parallel()
	h := setup(t, dbtest.Postgres(t))
	a := h.createApp()
	r := h.do("POST", "/v1/notifications", map[string]any{"target": map[string]any{"all": true},
		"notification": map[string]any{"title": "Sale"}, "variants": []any{
			map[string]any{"name": "a", "weight": 70, "notification": map[string]any{"body": "A"}},
			map[string]any{"name": "b", "weight": 30, "notification": map[string]any{"body": "B"}}}},
		"Authorization", "Bearer "+a.APIKey)
	if r.status != 202 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	id := r.body["id"].(string)
	own := h.do("GET", "/v1/notifications/"+id, nil, "Authorization", "Bearer "+a.APIKey)
	admin := h.do("GET", "/v1/admin/notifications/"+id, nil, "Authorization", "Bearer "+adminToken)
	if admin.status != 200 || string(admin.raw) != string(own.raw) {
		t.Fatalf("admin view %d %s, the app's %d %s", admin.status, admin.raw, own.status, own.raw)
	}
	if vs, _ := admin.body["variants"].([]any); len(vs) != 2 || vs[1].(map[string]any)["name"] != "b" {
		t.Fatalf("variants %v", admin.body["variants"])
	}
	for _, other := range []string{"not-a-uuid", "0190a000-0000-7000-8000-000000000000"} {
		if r := h.do("GET", "/v1/admin/notifications/"+other, nil, "Authorization", "Bearer "+adminToken); r.status != 404 || r.code() != "notification_not_found" {
			t.Fatalf("%s: %d %s", other, r.status, r.raw)
		}
	}
	for _, token := range []string{a.APIKey, "wrong"} {
		if r := h.do("GET", "/v1/admin/notifications/"+id, nil, "Authorization", "Bearer "+token); r.status != 401 {
			t.Fatalf("with %q: %d %s", token, r.status, r.raw)
		}
	}
}
