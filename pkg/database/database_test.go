package database

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

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
