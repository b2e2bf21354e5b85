package servers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgUser is the operating-system user PostgreSQL and PgBouncer run as when
// the tests run as root (both refuse root).
const pgUser = "postgres"

// PostgresOptions configure a PostgreSQL instance.
type PostgresOptions struct {
	// MaxConnections is max_connections; 0 means 100, PostgreSQL's default.
	MaxConnections int
	// Settings are more server settings, name to value.
	Settings map[string]string
}

// Postgres is a PostgreSQL instance of the test's own (initdb in a fresh
// directory, trust authentication, superuser postgres, database postgres),
// which the test may stop and start again.
type Postgres struct {
	t    testing.TB
	port int
	dir  string
	args []string
	bin  string
	proc *proc
}

// StartPostgres creates and starts an instance on a free loopback port; it
// is stopped when the test ends.
func StartPostgres(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	bindir := pgBinDir(t)
	root := workDir(t, "pg", pgUser)
	p := &Postgres{t: t, port: freePort(t, false), dir: filepath.Join(root, "data"), bin: filepath.Join(bindir, "postgres")}
	initdb := exec.Command(filepath.Join(bindir, "initdb"), "-D", p.dir, "-U", "postgres", "-A", "trust",
		"--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{}
	if os.Geteuid() == 0 {
		cred, err := credential(pgUser)
		if err != nil {
			t.Fatalf("servers: %v", err)
		}
		initdb.SysProcAttr.Credential = cred
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("servers: initdb: %v\n%s", err, out)
	}
	maxConns := opts.MaxConnections
	if maxConns <= 0 {
		maxConns = 100
	}
	settings := map[string]string{
		"listen_addresses": "127.0.0.1", "port": strconv.Itoa(p.port), "unix_socket_directories": root,
		"max_connections": strconv.Itoa(maxConns), "fsync": "off", "synchronous_commit": "off",
		"full_page_writes": "off", "shared_buffers": "32MB", "log_min_messages": "warning",
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	p.args = []string{"-D", p.dir}
	for _, k := range names {
		p.args = append(p.args, "-c", k+"="+settings[k])
	}
	t.Cleanup(func() {
		reportOnFailure(t, func() *proc { return p.proc })
		if p.proc != nil {
			p.proc.signal(syscall.SIGQUIT, 10*time.Second)
		}
	})
	p.Start()
	return p
}

// pgBinDir finds PostgreSQL's server binaries: HERALD_TEST_PG_BINDIR, else
// pg_config --bindir, else the newest of Debian's versioned directories.
func pgBinDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("HERALD_TEST_PG_BINDIR"); d != "" {
		return d
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	t.Fatal("servers: PostgreSQL server binaries (initdb, postgres) not found: install Debian's postgresql package or set HERALD_TEST_PG_BINDIR")
	return ""
}

func pgVersion(bindir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return v
}

// Start starts the server (again) and waits until it accepts connections.
func (p *Postgres) Start() {
	p.t.Helper()
	if p.proc != nil && p.proc.running() {
		return
	}
	p.proc = spawn(p.t, "postgres :"+strconv.Itoa(p.port), p.bin, p.args, filepath.Join(filepath.Dir(p.dir), "postgres.log"), pgUser)
	err := waitFor(60*time.Second, func() error {
		if !p.proc.running() {
			return fmt.Errorf("postgres exited: %v", p.proc.err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, p.URL("postgres"))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		p.t.Fatalf("servers: PostgreSQL on port %d: %v\n%s", p.port, err, p.proc.logTail(20))
	}
}

// Stop shuts the server down fast (SIGINT: open transactions are rolled
// back, clients disconnected) and waits for it to exit; Start brings it back
// with its data.
func (p *Postgres) Stop() {
	p.t.Helper()
	p.proc.signal(syscall.SIGINT, 30*time.Second)
}

// Kill is kill -9 of the postmaster (crash recovery runs at the next Start).
func (p *Postgres) Kill() {
	p.t.Helper()
	p.proc.kill()
}

// Running reports whether the server process is alive.
func (p *Postgres) Running() bool { return p.proc != nil && p.proc.running() }

// Port is the TCP port.
func (p *Postgres) Port() int { return p.port }

// URL is a postgres:// URL of database db as superuser postgres.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// Exec runs SQL statements as superuser in database postgres.
func (p *Postgres) Exec(sql string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		p.t.Fatalf("servers: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		p.t.Fatalf("servers: %s: %v", sql, err)
	}
}
