package main

import (
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// A broadcast through PgBouncer in transaction mode, with fewer server
// connections than Herald's pool: migrations, subscriptions, fan-out,
// outcome transactions, retries, dead letters and pruning all work with no
// named statement, session lock or startup parameter PgBouncer refuses.
func TestBroadcastThroughPgBouncer(t *testing.T) {
	t.Parallel()
	pg := servers.StartPostgres(t, servers.PostgresOptions{})
	bouncer := servers.StartPgBouncer(t, pg, servers.PgBouncerOptions{PoolSize: 4})
	p := startPipelineWith(t, pushsim.Config{}, map[string]string{
		"HERALD_DATABASE_URL":       bouncer.URL("postgres"),
		"HERALD_DATABASE_POOL_SIZE": "12",
	})
	p.subscribe(1400, "ok")
	p.subscribe(50, "gone")
	p.subscribe(30, "fail_first:1")
	p.subscribe(20, "always_fail")
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "pooled"},
	}, 202)["id"].(string)
	n := p.waitCompleted(id, 2*time.Minute)
	if got, want := counts(n), "targeted=1500 delivered=1430 gone=50 dead=20 pending=0"; got != want {
		t.Fatalf("counts: %s, want %s", got, want)
	}
	if st := p.sim.Stats(); st.Duplicates != 0 || st.GoneContacted != 0 {
		t.Fatalf("duplicates=%d gone_contacted=%d", st.Duplicates, st.GoneContacted)
	}
	if letters := p.call("GET", "/v1/dead-letters?limit=100", p.apiKey, nil, 200)["items"].([]any); len(letters) != 20 {
		t.Fatalf("%d dead letters, want 20", len(letters))
	}
}
