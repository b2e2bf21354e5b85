package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

// fleet is several Herald processes (API + worker each) on one PostgreSQL
// and one Redis, as a production fleet runs.
type fleet struct {
	apis    []string // API base URLs
	workers []string // worker health and metrics base URLs
}

// startFleet starts n Herald processes pushing to the extra origins, with
// env added to (and overriding) the defaults, and waits until each is ready.
func startFleet(t *testing.T, n int, origins []string, env ...string) fleet {
	t.Helper()
	base := []string{
		"HERALD_DATABASE_URL=" + testkit.PostgresURL(t),
		"HERALD_REDIS_URL=" + testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=" + testAdminToken,
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS=" + strings.Join(origins, ","),
		"HERALD_WORKER_CONCURRENCY=8",
	}
	var f fleet
	for range n {
		api, worker := proctest.FreeAddr(t), proctest.FreeAddr(t)
		proctest.Start(t, t.TempDir(), append(append(base, env...), "HERALD_HTTP_ADDR="+api, "HERALD_WORKER_ADDR="+worker)...)
		if err := proctest.WaitHTTP(t.Context(), "http://"+api+"/readyz", 200, 60*time.Second); err != nil {
			t.Fatal(err)
		}
		f.apis = append(f.apis, "http://"+api)
		f.workers = append(f.workers, "http://"+worker)
	}
	return f
}
