// Package database opens Herald's database: PostgreSQL in production, or an
// embedded SQLite file (pure Go, no cgo) for the zero-configuration dev mode.
package database

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DefaultPoolSize is how many PostgreSQL connections a process keeps at most
// unless HERALD_DATABASE_POOL_SIZE says otherwise.
const DefaultPoolSize = 20

// Config says which database to open.
type Config struct {
	URL          string // postgres://...; empty selects SQLite at SQLitePath
	SQLitePath   string
	MaxOpenConns int // Postgres pool size; 0 means DefaultPoolSize
}

// DB is a gorm handle that knows its dialect.
type DB struct {
	*gorm.DB
	Dialect Dialect
}

// Open connects and pings. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	gcfg := &gorm.Config{
		Logger:                 newLogger(log),
		SkipDefaultTransaction: true, // single statements need no transaction; it halves round trips
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var (
		gdb     *gorm.DB
		err     error
		dialect Dialect
	)
	if cfg.URL != "" {
		if !strings.HasPrefix(cfg.URL, "postgres://") && !strings.HasPrefix(cfg.URL, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// or postgresql://")
		}
		dialect = Postgres
		dsn, perr := withUnnamedStatements(cfg.URL)
		if perr != nil {
			return nil, perr
		}
		gdb, err = gorm.Open(postgres.Open(dsn), gcfg)
	} else {
		dialect = SQLite
		if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("create SQLite directory: %w", err)
		}
		dsn := "file:" + cfg.SQLitePath + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
		gdb, err = gorm.Open(sqlite.Open(dsn), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	if dialect == SQLite {
		// One writer at a time is what SQLite allows; one connection avoids
		// "database is locked" between our own goroutines.
		sqlDB.SetMaxOpenConns(1)
	} else {
		n := cfg.MaxOpenConns
		if n <= 0 {
			n = DefaultPoolSize
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	db := &DB{DB: gdb, Dialect: dialect}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to %s: %w", dialect, err)
	}
	return db, nil
}

// withUnnamedStatements runs every query as an unnamed statement with its
// parameters (pgx's "exec" mode), unless the URL chooses a mode itself.
//
// pgx's default prepares and caches a named statement per query on each
// connection. PgBouncer in transaction mode before 1.21 cannot carry named
// statements from one server connection to the next, and Herald must work
// through it. Unnamed statements are also planned for the values of each
// execution: a generic plan of a named statement, cached while a table was
// nearly empty, kept scanning all of a notification's deliveries for each
// 500-id batch (one notification can have a million), which a session
// setting (plan_cache_mode, a startup parameter PgBouncer refuses) used to
// prevent. Nothing else is sent at start-up beyond what the URL names.
func withUnnamedStatements(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	q := u.Query()
	if q.Get("default_query_exec_mode") == "" {
		q.Set("default_query_exec_mode", "exec")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// InTx runs fn in one transaction. The *DB fn gets is bound to it: table
// owners' stores take it through their WithTx, so one commit can span the
// tables of several owners (a batch's outcomes, a dead letter sent again).
func (db *DB) InTx(ctx context.Context, fn func(tx *DB) error) error {
	return db.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&DB{DB: tx, Dialect: db.Dialect})
	})
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// newLogger sends gorm's slow-query and error logs to slog.
func newLogger(log *slog.Logger) logger.Interface {
	return logger.New(slogWriter{log}, logger.Config{
		SlowThreshold:             time.Second,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true, // never log values: they may be secrets
	})
}

type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Printf(format string, args ...any) {
	w.log.Warn("database", "detail", fmt.Sprintf(format, args...))
}
