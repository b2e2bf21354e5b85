package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ErrSchemaNewer means the database was migrated by a newer Herald than this
// binary: running on it could misread or corrupt what the newer release
// wrote, so the process refuses to start (and Migrate refuses to run).
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// schemaPollInterval is how often a process that does not migrate looks
// whether another one has.
const schemaPollInterval = 2 * time.Second

// PrepareSchema readies the database for this binary. With migrate it runs
// Migrate. Without it (HERALD_MIGRATE=false: a Kubernetes init container or
// a deploy job migrates) it changes nothing and waits, logging why, until
// another process has brought the schema to LatestVersion or ctx ends.
// Either way a schema newer than this binary knows is ErrSchemaNewer.
func (db *DB) PrepareSchema(ctx context.Context, migrate bool, log *slog.Logger) error {
	if migrate {
		return db.Migrate(ctx)
	}
	return db.waitForSchema(ctx, log, schemaPollInterval)
}

func (db *DB) waitForSchema(ctx context.Context, log *slog.Logger, every time.Duration) error {
	var lastLog time.Time
	for {
		v, err := db.appliedVersion(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.Warn("cannot read the database schema version; retrying", "err", err)
		case v > LatestVersion():
			return refuseNewer(db.WithContext(ctx))
		case v == LatestVersion():
			return nil
		case time.Since(lastLog) >= 30*time.Second:
			lastLog = time.Now()
			log.Warn("waiting for the database migrations: HERALD_MIGRATE=false, so another process must run them (herald-api migrate)",
				"schema_version", v, "needed_version", LatestVersion())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for migrations to version %d: %w", LatestVersion(), ctx.Err())
		case <-time.After(every):
		}
	}
}

// appliedVersion is the newest applied migration, 0 on a database never
// migrated.
func (db *DB) appliedVersion(ctx context.Context) (int, error) {
	if !db.WithContext(ctx).Migrator().HasTable("schema_migrations") {
		if err := db.Ping(ctx); err != nil {
			return 0, err
		}
		return 0, nil
	}
	return db.Version(ctx)
}

// refuseNewer returns ErrSchemaNewer, wrapped with what to do, when conn's
// schema_migrations holds versions past LatestVersion; nil otherwise.
func refuseNewer(conn *gorm.DB) error {
	var newer []struct {
		Version int
		Name    string
	}
	if err := conn.Raw("SELECT version, name FROM schema_migrations WHERE version > ? ORDER BY version",
		LatestVersion()).Scan(&newer).Error; err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if len(newer) == 0 {
		return nil
	}
	names := make([]string, len(newer))
	for i, m := range newer {
		names[i] = fmt.Sprintf("%d (%s)", m.Version, m.Name)
	}
	return fmt.Errorf("%w: the database is at version %d but this binary knows versions up to %d; "+
		"a newer Herald applied %s. Run that release or a newer one, or restore the database from before "+
		"the upgrade (deploy/RUNBOOK.md, Rollback)",
		ErrSchemaNewer, newer[len(newer)-1].Version, LatestVersion(), strings.Join(names, ", "))
}
