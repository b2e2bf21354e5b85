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
