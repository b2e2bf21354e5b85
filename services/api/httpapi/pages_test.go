package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldpush/herald/services/api/web"
)

// The HTML pages (the demo, the dashboard) carry a Content-Security-Policy
// that allows no inline script and no framing, with nosniff; the demo holds
// no inline script or event handler attribute, so it runs under it.
func TestPagesSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := setup(t, sqliteDB(t))
	for _, path := range []string{"/demo/", "/dashboard"} {
		r := h.do("GET", path, nil)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
		csp := r.header.Get("Content-Security-Policy")
		script := regexp.MustCompile(`script-src ([^;]*)`).FindStringSubmatch(csp)
		if script == nil || strings.Contains(script[1], "unsafe-inline") || strings.Contains(script[1], "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, r.header)
		}
	}
	page, err := web.Files.ReadFile("demo.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(string(page), -1) {
		if !strings.Contains(tag[1], "src=") || strings.TrimSpace(tag[2]) != "" {
			t.Errorf("demo.html has an inline script: %.80s", tag[0])
		}
	}
	if m := regexp.MustCompile(`(?i)\son[a-z]+\s*=`).FindString(string(page)); m != "" {
		t.Errorf("demo.html has an event handler attribute %q", m)
	}
	if r := h.do("GET", "/demo/demo.js", nil); r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "javascript") {
		t.Fatalf("/demo/demo.js: %d %s", r.status, r.header.Get("Content-Type"))
	}
}
