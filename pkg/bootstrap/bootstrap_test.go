package bootstrap

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

func production(extra map[string]string) map[string]string {
	m := map[string]string{
		"HERALD_DATABASE_URL":  "postgres://db.example/herald",
		"HERALD_REDIS_URL":     "redis://cache.example:6379/0",
		"HERALD_MASTER_KEY":    "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_VAPID_SUBJECT": "mailto:ops@example.com",
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func TestReadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr string // "" means valid
	}{
		{"production", production(nil), ""},
		{"sentinel", production(map[string]string{"HERALD_REDIS_URL": "redis-sentinel://s1,s2,s3/main/0"}), ""},
		{"cluster", production(map[string]string{"HERALD_REDIS_URL": "redis-cluster://n1:7000,n2:7000"}), ""},
		{"database without Redis", production(map[string]string{"HERALD_REDIS_URL": ""}), "HERALD_REDIS_URL: required with HERALD_DATABASE_URL"},
		{"bad Redis URL", production(map[string]string{"HERALD_REDIS_URL": "redis-cluster://n1/4"}), "HERALD_REDIS_URL: redis-cluster URL"},
		{"pool size zero", production(map[string]string{"HERALD_DATABASE_POOL_SIZE": "0"}), "HERALD_DATABASE_POOL_SIZE"},
		{"dev mode", map[string]string{}, ""},
		{"dev mode with a real Redis", map[string]string{"HERALD_REDIS_URL": "redis://127.0.0.1:6379/1"}, ""},
	} {
		r := envconf.FromMap(tc.env)
		ReadConfig(r)
		err := r.Err()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
	r := envconf.FromMap(production(nil))
	if c := ReadConfig(r); c.DatabasePoolSize != database.DefaultPoolSize {
		t.Errorf("default pool size %d", c.DatabasePoolSize)
	}
	r = envconf.FromMap(production(map[string]string{"HERALD_DATABASE_POOL_SIZE": "3"}))
	if c := ReadConfig(r); c.DatabasePoolSize != 3 {
		t.Errorf("pool size %d, want 3", c.DatabasePoolSize)
	}
}

// fleetLoad opens one pool per process with the configured size and keeps
// each busy with more concurrent queries than its pool holds; it returns
// how many queries PostgreSQL refused and the most connections it saw.
func fleetLoad(t *testing.T, pg *servers.Postgres, processes int, poolSize string) (refused int64, peak int) {
	t.Helper()
	ctx := context.Background()
	env := production(map[string]string{"HERALD_DATABASE_URL": pg.URL("postgres"), "HERALD_DATABASE_POOL_SIZE": poolSize})
	r := envconf.FromMap(env)
	cfg := ReadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	var dbs []*database.DB
	for range processes {
		// database.Open pings: one connection each.
		db, err := database.Open(ctx, database.Config{URL: cfg.DatabaseURL, MaxOpenConns: cfg.DatabasePoolSize}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	watch, err := database.Open(ctx, database.Config{URL: pg.URL("postgres"), MaxOpenConns: 1}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	stop := make(chan struct{})
	watched := make(chan int)
	go func() {
		most := 0
		for {
			var n int
			watch.Raw("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'").Scan(&n)
			most = max(most, n-1) // not the watcher itself
			select {
			case <-stop:
				watched <- most
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var n atomic.Int64
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.WithContext(ctx).Exec("SELECT pg_sleep(0.3)").Error
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "53300" { // too_many_connections
					n.Add(1)
				} else if err != nil {
					t.Errorf("query: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	return n.Load(), <-watched
}

// 40 worker processes' pools against PostgreSQL's default max_connections
// of 100: with HERALD_DATABASE_POOL_SIZE=2 they fit (80 connections, each
// process queueing for its own pool), with the default of 20 they do not.
func TestFleetPoolsFitMaxConnections(t *testing.T) {
	t.Parallel()
	pg := servers.StartPostgres(t, servers.PostgresOptions{MaxConnections: 100})
	refused, peak := fleetLoad(t, pg, 40, "2")
	if refused > 0 || peak > 80 {
		t.Fatalf("pool size 2: %d queries refused, %d connections at most; want 0 and at most 80", refused, peak)
	}
	t.Logf("40 pools of 2: %d connections at most, none refused", peak)
	refused, _ = fleetLoad(t, pg, 40, "")
	if refused == 0 {
		t.Fatal("40 pools of the default size fit in 100 connections: the test no longer shows the setting matters")
	}
}
