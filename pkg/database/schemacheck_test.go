package database

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
)

// addFutureMigration makes db look migrated by a newer release: one more
// row in schema_migrations than this binary knows.
func addFutureMigration(t *testing.T, db *DB) {
	t.Helper()
	if err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		LatestVersion()+1, "from a newer release", time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
}

// An older binary's view of a newer schema: Migrate and PrepareSchema, with
// and without migrating, refuse with ErrSchemaNewer, naming the versions.
func TestNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"postgres": {URL: testkit.PostgresURL(t)},
		"sqlite":   {SQLitePath: filepath.Join(t.TempDir(), "herald.db")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db, err := Open(ctx, cfg, testkit.Logger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			addFutureMigration(t, db)
			for what, err := range map[string]error{
				"Migrate":            db.Migrate(ctx),
				"PrepareSchema(on)":  db.PrepareSchema(ctx, true, testkit.Logger(t)),
				"PrepareSchema(off)": db.PrepareSchema(ctx, false, testkit.Logger(t)),
			} {
				if !errors.Is(err, ErrSchemaNewer) {
					t.Fatalf("%s on a newer schema: %v, want ErrSchemaNewer", what, err)
				}
				for _, want := range []string{"from a newer release", "RUNBOOK"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: message %q lacks %q", what, err, want)
					}
				}
			}
		})
	}
}

// With migrate off, PrepareSchema touches nothing on an empty database and
// returns once another process has migrated it.
func TestPrepareSchemaWithoutMigrateWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testkit.PostgresURL(t)
	db, err := Open(ctx, Config{URL: url}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	done := make(chan error, 1)
	go func() { done <- db.waitForSchema(ctx, testkit.Logger(t), 50*time.Millisecond) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("returned on an unmigrated database: %v", err)
	default:
	}
	if db.Migrator().HasTable("schema_migrations") || db.Migrator().HasTable("subscriptions") {
		t.Fatal("a process told not to migrate created tables")
	}
	other, err := Open(ctx, Config{URL: url}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after another process migrated")
	}

	// And it gives up when its context ends.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	empty, err := Open(ctx, Config{URL: testkit.PostgresURL(t)}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if err := empty.PrepareSchema(cctx, false, testkit.Logger(t)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PrepareSchema after its context ended: %v", err)
	}
}
