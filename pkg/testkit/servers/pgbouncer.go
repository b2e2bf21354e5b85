package servers

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncerOptions configure a PgBouncer.
type PgBouncerOptions struct {
	// PoolMode is transaction (the default here), session or statement.
	PoolMode string
	// PoolSize is default_pool_size: server connections per database and
	// user; 0 means 20.
	PoolSize int
	// MaxClientConn is max_client_conn; 0 means 2000.
	MaxClientConn int
}

// PgBouncer is a PgBouncer in front of a Postgres of the test's own; every
// database name is passed through to it.
type PgBouncer struct {
	t    testing.TB
	port int
	proc *proc
}

// StartPgBouncer starts PgBouncer on a free loopback port in front of pg and
// stops it when the test ends.
func StartPgBouncer(t testing.TB, pg *Postgres, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	bin := binary(t, "pgbouncer", "pgbouncer", "/usr/sbin")
	if opts.PoolMode == "" {
		opts.PoolMode = "transaction"
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = 20
	}
	if opts.MaxClientConn <= 0 {
		opts.MaxClientConn = 2000
	}
	b := &PgBouncer{t: t, port: freePort(t, false)}
	dir := workDir(t, "pgbouncer", pgUser)
	users := filepath.Join(dir, "userlist.txt")
	writeFile(t, users, `"postgres" ""`+"\n", pgUser)
	conf := filepath.Join(dir, "pgbouncer.ini")
	writeFile(t, conf, fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = postgres
pool_mode = %s
default_pool_size = %d
max_client_conn = %d
server_lifetime = 3600
server_idle_timeout = 60
ignore_startup_parameters = extra_float_digits
`, pg.Port(), b.port, users, opts.PoolMode, opts.PoolSize, opts.MaxClientConn), pgUser)
	b.proc = spawn(t, "pgbouncer :"+strconv.Itoa(b.port), bin, []string{conf}, filepath.Join(dir, "pgbouncer.log"), pgUser)
	t.Cleanup(func() {
		reportOnFailure(t, func() *proc { return b.proc })
		b.proc.signal(syscall.SIGINT, 10*time.Second)
	})
	err := waitFor(30*time.Second, func() error {
		if !b.proc.running() {
			return fmt.Errorf("pgbouncer exited: %v", b.proc.err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, b.URL("postgres")+"&default_query_exec_mode=simple_protocol")
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		t.Fatalf("servers: PgBouncer on port %d: %v\n%s", b.port, err, b.proc.logTail(20))
	}
	return b
}

// Port is the TCP port.
func (b *PgBouncer) Port() int { return b.port }

// URL is a postgres:// URL of database db through PgBouncer.
func (b *PgBouncer) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", b.port, db)
}
