package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/heraldpush/herald/pkg/metrics"
	"github.com/heraldpush/herald/pkg/testkit"
)

// /metrics is open by default; with HERALD_METRICS_TOKEN a scrape needs it
// as a bearer token (401 unauthorized otherwise); with an address of its
// own it is not on the API's handler at all, and MetricsHandler serves it
// (and nothing else) there.
func TestMetricsTokenAndAddress(t *testing.T) {
	t.Parallel()
	db := sqliteDB(t)
	open := setup(t, db)
	if r := open.do("GET", "/metrics", nil); r.status != http.StatusOK || !strings.Contains(string(r.raw), "go_goroutines") {
		t.Fatalf("open /metrics: %d", r.status)
	}
	const token = "metrics-token-0123456789"
	guarded := setupWith(t, db, func(d *Deps, _ *redis.Client) { d.MetricsToken = token })
	for name, headers := range map[string][]string{
		"no token":        nil,
		"wrong token":     {"Authorization", "Bearer " + token + "x"},
		"the admin token": {"Authorization", "Bearer " + adminToken},
		"not bearer":      {"Authorization", "Basic " + token},
	} {
		if r := guarded.do("GET", "/metrics", nil, headers...); r.status != http.StatusUnauthorized || r.code() != "unauthorized" ||
			strings.Contains(string(r.raw), "go_goroutines") {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if r := guarded.do("GET", "/metrics", nil, "Authorization", "Bearer "+token); r.status != http.StatusOK {
		t.Fatalf("with the token: %d %s", r.status, r.raw)
	}
	elsewhere := setupWith(t, db, func(d *Deps, _ *redis.Client) { d.MetricsElsewhere = true })
	if r := elsewhere.do("GET", "/metrics", nil); r.status != http.StatusNotFound || r.code() != "not_found" {
		t.Fatalf("/metrics on the API with an address of its own: %d %s", r.status, r.raw)
	}
	own := httptest.NewServer(MetricsHandler(metrics.NewRegistry(), token, testkit.Logger(t)))
	defer own.Close()
	get := func(path, auth string) (int, string) {
		req, _ := http.NewRequest("GET", own.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/metrics", "Bearer "+token); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("own address with the token: %d", status)
	}
	if status, _ := get("/metrics", ""); status != http.StatusUnauthorized {
		t.Fatalf("own address without the token: %d", status)
	}
	if status, body := get("/v1/apps", "Bearer "+adminToken); status != http.StatusNotFound || !strings.Contains(body, "not_found") {
		t.Fatalf("the API on the metrics address: %d %s", status, body)
	}
}
