// Package dbtest opens migrated databases for tests: a fresh PostgreSQL
// schema or a fresh SQLite file, closed when the test ends.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testenv"
)

// Postgres returns a migrated database in a schema of its own.
func Postgres(t testing.TB) *database.DB {
	t.Helper()
	return open(t, database.Config{URL: testenv.PostgresURL(t), MaxOpenConns: 8})
}

// SQLite returns a migrated embedded database in a temporary directory.
func SQLite(t testing.TB) *database.DB {
	t.Helper()
	return open(t, database.Config{SQLitePath: filepath.Join(t.TempDir(), "herald.db")})
}

// Each runs fn as a parallel subtest once per dialect.
func Each(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for name, opener := range map[string]func(testing.TB) *database.DB{"postgres": Postgres, "sqlite": SQLite} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, opener(t))
		})
	}
}

func open(t testing.TB, cfg database.Config) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, cfg, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
