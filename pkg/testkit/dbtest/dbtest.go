// Package dbtest opens migrated databases for tests: a fresh PostgreSQL
// schema or a fresh SQLite file, closed when the test ends.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/database"
	"github.com/heraldpush/herald/pkg/testkit"
)

// Postgres returns a migrated database in a schema of its own.
func Postgres(t testing.TB) *database.DB {
	t.Helper()
	return open(t, database.Config{URL: testkit.PostgresURL(t), MaxOpenConns: 8})
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
	db, err := database.Open(ctx, cfg, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// NewerSchema migrates the PostgreSQL database at url and records one more
// migration, named name, than this binary knows: what an older release
// finds after a newer one has migrated. It returns that version.
func NewerSchema(t testing.TB, url, name string) int {
	t.Helper()
	db := open(t, database.Config{URL: url})
	next := database.LatestVersion() + 1
	if err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		next, name, time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	return next
}
