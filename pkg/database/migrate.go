package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migration is one step of the schema. SQL uses {{uuid}}, {{bytes}} and
// {{time}} for the column types that differ between dialects.
type migration struct {
	version int
	name    string
	sql     string
	// postgres, when set, runs after sql on PostgreSQL only, in the same
	// transaction: for what one dialect has and the other has not
	// (partitioning).
	postgres func(tx *gorm.DB) error
}

var columnTypes = map[Dialect]*strings.Replacer{
	Postgres: strings.NewReplacer("{{uuid}}", "UUID", "{{bytes}}", "BYTEA", "{{time}}", "TIMESTAMPTZ"),
	SQLite:   strings.NewReplacer("{{uuid}}", "TEXT", "{{bytes}}", "BLOB", "{{time}}", "DATETIME"),
}

// Migrate brings the schema to the latest version, in one transaction, or
// returns ErrSchemaNewer when a newer release already went past it. On
// Postgres that transaction first takes an advisory lock (scoped to the
// current schema) that it holds until it commits, so replicas starting at
// the same moment run each migration exactly once: the others wait, then
// see nothing left to do. The lock is transaction-scoped, not a session
// lock, so it holds through PgBouncer in transaction mode too.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx, migrations) }

// migrate applies the steps not applied yet (tests stop part way).
func (db *DB) migrate(ctx context.Context, steps []migration) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.Dialect == Postgres {
			const lock = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.herald_migrations'))"
			if err := tx.Exec(lock).Error; err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` + columnType(db.Dialect, "{{time}}") + ` NOT NULL)`).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied []int
		if err := tx.Raw("SELECT version FROM schema_migrations").Scan(&applied).Error; err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		// A newer release's migrations: refuse rather than run on them.
		if err := refuseNewer(tx); err != nil {
			return err
		}
		done := make(map[int]bool, len(applied))
		for _, v := range applied {
			done[v] = true
		}
		for _, m := range steps {
			if done[m.version] {
				continue
			}
			if err := db.apply(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) apply(conn *gorm.DB, m migration) error {
	return conn.Transaction(func(tx *gorm.DB) error {
		for _, stmt := range splitStatements(columnType(db.Dialect, m.sql)) {
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if m.postgres != nil && db.Dialect == Postgres {
			if err := m.postgres(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if data := dataSteps[m.version]; data != nil {
			if err := data(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, time.Now().UTC()).Error
	})
}

// Version returns the newest applied migration, 0 when none.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v *int
	err := db.WithContext(ctx).Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error
	if err != nil || v == nil {
		return 0, err
	}
	return *v, nil
}

// LatestVersion is the version Migrate brings a database to.
func LatestVersion() int { return migrations[len(migrations)-1].version }

func columnType(d Dialect, sql string) string { return columnTypes[d].Replace(sql) }

func splitStatements(sql string) []string {
	var out []string
	for _, s := range strings.Split(sql, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
