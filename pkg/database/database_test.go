package database

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
)

func TestMigrateConcurrentPostgres(t *testing.T) {
	t.Parallel()
	url := testkit.PostgresURL(t)
	ctx := context.Background()
	// Several replicas starting at once must all succeed, each step once.
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, Config{URL: url}, testkit.Logger(t))
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	db, err := Open(ctx, Config{URL: url}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int64
	db.Raw("SELECT COUNT(*) FROM schema_migrations").Scan(&rows)
	if rows != int64(len(migrations)) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migrations))
	}
	if v, err := db.Version(ctx); err != nil || v != LatestVersion() {
		t.Fatalf("Version = %d, %v; want %d", v, err, LatestVersion())
	}
}

func TestMigrateSQLiteTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := Config{SQLitePath: filepath.Join(t.TempDir(), "herald.db")}
	for range 2 {
		db, err := Open(ctx, cfg, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if v, _ := db.Version(ctx); v != LatestVersion() {
			t.Fatalf("Version = %d", v)
		}
		db.Close()
	}
}

func TestOpenRejectsNonPostgresURL(t *testing.T) {
	t.Parallel()
	if _, err := Open(context.Background(), Config{URL: "mysql://x"}, testkit.Logger(t)); err == nil {
		t.Fatal("accepted mysql URL")
	}
}

// Herald's connections prepare no named statements (PgBouncer in
// transaction mode cannot carry them, and their cached generic plans were
// slow), unless the URL asks for another mode.
func TestOpenUsesUnnamedStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		query string
		named bool
	}{
		{"", false},
		{"&default_query_exec_mode=cache_statement", true},
	} {
		db, err := Open(ctx, Config{URL: testkit.PostgresURL(t) + tc.query, MaxOpenConns: 1}, testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			var n int
			if err := db.Raw("SELECT ?::int + 1", i).Scan(&n).Error; err != nil || n != i+1 {
				t.Fatalf("%d, %v", n, err)
			}
		}
		var prepared int
		if err := db.Raw("SELECT count(*) FROM pg_prepared_statements").Scan(&prepared).Error; err != nil {
			t.Fatal(err)
		}
		db.Close()
		if (prepared > 0) != tc.named {
			t.Errorf("URL suffix %q: %d named statements on the connection", tc.query, prepared)
		}
	}
}

// Migration 4 moves the outcome counts of existing notifications into the
// shard table, on both dialects.
func TestMigrateKeepsOutcomeCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"postgres": {URL: testkit.PostgresURL(t)},
		"sqlite":   {SQLitePath: filepath.Join(t.TempDir(), "herald.db")},
	} {
		t.Run(name, func(t *testing.T) {
			db := openAtVersion(t, cfg, 3)
			const app, n1, n2 = "0193a4f0-0000-7000-8000-000000000001", "0193a4f0-0000-7000-8000-000000000002", "0193a4f0-0000-7000-8000-000000000003"
			now := time.Now().UTC()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(db.Exec("INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', ?, ?, ?)", app, []byte("x"), now, now).Error)
			for id, c := range map[string][3]int{n1: {7, 2, 1}, n2: {0, 0, 0}} {
				must(db.Exec(`INSERT INTO notifications (id, app_id, status, target_kind, content, payload, ttl, queue, delivered, gone, dead, created_at, updated_at)
					VALUES (?, ?, 'completed', 'all', '{}', '{}', 60, 'q', ?, ?, ?, ?, ?)`, id, app, c[0], c[1], c[2], now, now).Error)
			}
			must(db.Migrate(ctx))
			var rows []struct {
				NotificationID        string
				Shard                 int
				Delivered, Gone, Dead int64
			}
			must(db.Raw("SELECT notification_id, shard, delivered, gone, dead FROM notification_counts").Scan(&rows).Error)
			if len(rows) != 1 || rows[0].NotificationID != n1 || rows[0].Shard != 0 || rows[0].Delivered != 7 || rows[0].Gone != 2 || rows[0].Dead != 1 {
				t.Fatalf("notification_counts = %+v, want one row for %s: 7 delivered, 2 gone, 1 dead", rows, n1)
			}
		})
	}
}

// Migration 5 turns each notification's queue name into its priority, on
// both dialects.
func TestMigrateQueueToPriority(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"postgres": {URL: testkit.PostgresURL(t)},
		"sqlite":   {SQLitePath: filepath.Join(t.TempDir(), "herald.db")},
	} {
		t.Run(name, func(t *testing.T) {
			db := openAtVersion(t, cfg, 4)
			const app = "0193a4f0-0000-7000-8000-000000000001"
			now := time.Now().UTC()
			if err := db.Exec("INSERT INTO apps (id, name, identity_secret_sealed, created_at, updated_at) VALUES (?, 'a', ?, ?, ?)", app, []byte("x"), now, now).Error; err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for i, q := range map[string]string{"herald:critical": "urgent", "herald:default": "normal", "herald:bulk": "bulk"} {
				id := "0193a4f0-0000-7000-8000-00000000001" + string(rune('0'+len(want)))
				want[id] = q
				if err := db.Exec(`INSERT INTO notifications (id, app_id, status, target_kind, content, payload, ttl, queue, created_at, updated_at)
					VALUES (?, ?, 'completed', 'all', '{}', '{}', 60, ?, ?, ?)`, id, app, i, now, now).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			var rows []struct{ ID, Priority string }
			if err := db.Raw("SELECT id, priority FROM notifications").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(want) {
				t.Fatalf("%d notifications after migrating, want %d", len(rows), len(want))
			}
			for _, r := range rows {
				if r.Priority != want[r.ID] {
					t.Errorf("notification %s: priority %q, want %q", r.ID, r.Priority, want[r.ID])
				}
			}
		})
	}
}

// openAtVersion opens the database of cfg with only the first version
// migrations applied, closed when the test ends.
func openAtVersion(t *testing.T, cfg Config, version int) *DB {
	t.Helper()
	db, err := Open(context.Background(), cfg, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` +
		columnType(db.Dialect, "{{time}}") + ` NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:version] {
		if err := db.apply(db.DB, m); err != nil {
			t.Fatal(err)
		}
	}
	return db
}
