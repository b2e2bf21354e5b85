// Package servers starts real servers for tests that need more than the
// shared PostgreSQL and Redis: a Redis the test may kill or wipe, a Sentinel
// set, a Redis Cluster, a PostgreSQL of its own to stop and start, and
// PgBouncer. Each listens on free loopback ports picked at run time, runs as
// a child of the test process (it dies with it) and is stopped when the test
// ends. The binaries come from Debian's packages (redis-server, redis-cli,
// postgresql, pgbouncer); a missing one fails the test with how to install it.
package servers

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one server process started by this package.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

// spawn starts bin with args, its output appended to logPath. asUser, when
// set and the test runs as root, runs it as that user (PostgreSQL and
// PgBouncer refuse to run as root).
func spawn(t testing.TB, name, bin string, args []string, logPath, asUser string) *proc {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("servers: %s log: %v", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Pdeathsig: a test binary killed by its timeout takes its servers along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if asUser != "" && os.Geteuid() == 0 {
		cred, err := credential(asUser)
		if err != nil {
			t.Fatalf("servers: %s: %v", name, err)
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("servers: start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p
}

// running reports whether the process has not exited yet.
func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig and waits up to timeout for the exit; then it kills.
func (p *proc) signal(sig syscall.Signal, timeout time.Duration) {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill is kill -9: no shutdown, nothing flushed.
func (p *proc) kill() { p.signal(syscall.SIGKILL, 10*time.Second) }

// logTail returns the last lines of the process's log, for failure reports.
func (p *proc) logTail(lines int) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var all []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		all = append(all, sc.Text())
	}
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// reportOnFailure logs the tails of the logs when the test failed.
func reportOnFailure(t testing.TB, procs ...func() *proc) {
	t.Helper()
	if !t.Failed() {
		return
	}
	for _, get := range procs {
		if p := get(); p != nil {
			t.Logf("servers: last lines of %s's log:\n%s", p.name, p.logTail(30))
		}
	}
}

var portMu sync.Mutex

// freePort returns a loopback port nothing listened on a moment ago; with
// bus it also checks port+10000, Redis Cluster's bus port.
func freePort(t testing.TB, bus bool) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("servers: free port: %v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !bus {
			return port
		}
		if port+10000 > 65535 {
			continue
		}
		if bl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000)); err == nil {
			bl.Close()
			return port
		}
	}
	t.Fatal("servers: no free port pair for a cluster node")
	return 0
}

// workDir makes a directory for a server's files, owned by asUser when the
// test runs as root, and removes it when the test ends. It is not under
// t.TempDir(): that is private to root, and PostgreSQL runs as another user.
func workDir(t testing.TB, prefix, asUser string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "herald-"+prefix+"-")
	if err != nil {
		t.Fatalf("servers: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if asUser != "" && os.Geteuid() == 0 {
		cred, err := credential(asUser)
		if err != nil {
			t.Fatalf("servers: %v", err)
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatalf("servers: %v", err)
		}
	}
	return dir
}

// writeFile writes a file a server of asUser reads (or rewrites: Sentinel does).
func writeFile(t testing.TB, path, content, asUser string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("servers: %v", err)
	}
	if asUser != "" && os.Geteuid() == 0 {
		cred, err := credential(asUser)
		if err != nil {
			t.Fatalf("servers: %v", err)
		}
		if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatalf("servers: %v", err)
		}
	}
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("user %s (created by Debian's postgresql package): %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// binary finds a server binary on PATH or in the given directories, or
// fails the test saying which package brings it.
func binary(t testing.TB, name, pkg string, dirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("servers: %s not found: install Debian's %s package (.ci/setup.d installs it for CI)", name, pkg)
	return ""
}

// waitFor polls check until it returns nil or timeout passes.
func waitFor(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var errNotYet = errors.New("not yet")
