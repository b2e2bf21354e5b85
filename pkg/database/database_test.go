package database

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testenv"
)

func TestMigrateConcurrentPostgres(t *testing.T) {
	t.Parallel()
	url := testenv.PostgresURL(t)
	ctx := context.Background()
	// Several replicas starting at once must all succeed, each step once.
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, Config{URL: url}, testenv.Logger(t))
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
	db, err := Open(ctx, Config{URL: url}, testenv.Logger(t))
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
		db, err := Open(ctx, cfg, testenv.Logger(t))
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
	if _, err := Open(context.Background(), Config{URL: "mysql://x"}, testenv.Logger(t)); err == nil {
		t.Fatal("accepted mysql URL")
	}
}

// Generic plans made while a table was small stay cached per connection;
// Herald's connections must plan each execution with its values.
func TestOpenPlansEachExecution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ query, want string }{
		{"", "force_custom_plan"},
		{"&plan_cache_mode=auto", "auto"},
	} {
		db, err := Open(ctx, Config{URL: testenv.PostgresURL(t) + tc.query}, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := db.Raw("SHOW plan_cache_mode").Scan(&mode).Error; err != nil {
			t.Fatal(err)
		}
		db.Close()
		if mode != tc.want {
			t.Errorf("URL suffix %q: plan_cache_mode = %q, want %q", tc.query, mode, tc.want)
		}
	}
}

// Migration 4 moves the outcome counts of existing notifications into the
// shard table, on both dialects.
func TestMigrateKeepsOutcomeCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"postgres": {URL: testenv.PostgresURL(t)},
		"sqlite":   {SQLitePath: filepath.Join(t.TempDir(), "herald.db")},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := Open(ctx, cfg, testenv.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` +
				columnType(db.Dialect, "{{time}}") + ` NOT NULL)`).Error; err != nil {
				t.Fatal(err)
			}
			for _, m := range migrations[:3] {
				if err := db.apply(db.DB, m); err != nil {
					t.Fatal(err)
				}
			}
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
