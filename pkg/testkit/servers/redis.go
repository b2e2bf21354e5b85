package servers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure a Redis server.
type RedisOptions struct {
	// AOF turns on the append-only file (appendfsync everysec, as production
	// should run): a server killed and restarted keeps its data. Without it
	// a restart comes back empty.
	AOF bool
	// Args are more redis-server arguments, like "--maxmemory", "10mb".
	Args []string
}

// Redis is a redis-server of the test's own.
type Redis struct {
	t    testing.TB
	opts RedisOptions
	port int
	dir  string
	args []string
	proc *proc
}

// StartRedis starts a Redis on a free loopback port and stops it when the
// test ends.
func StartRedis(t testing.TB, opts RedisOptions) *Redis {
	t.Helper()
	r := newRedis(t, opts, freePort(t, false), nil)
	r.start()
	return r
}

func newRedis(t testing.TB, opts RedisOptions, port int, extra []string) *Redis {
	r := &Redis{t: t, opts: opts, port: port, dir: workDir(t, "redis-"+strconv.Itoa(port), "")}
	appendonly := "no"
	if opts.AOF {
		appendonly = "yes"
	}
	r.args = append([]string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", appendonly, "--appendfsync", "everysec",
		"--daemonize", "no", "--protected-mode", "no", "--maxmemory-policy", "noeviction",
		"--repl-diskless-sync-delay", "0",
	}, extra...)
	r.args = append(r.args, opts.Args...)
	t.Cleanup(func() {
		reportOnFailure(t, func() *proc { return r.proc })
		if r.proc != nil {
			r.proc.signal(syscall.SIGKILL, 5*time.Second)
		}
	})
	return r
}

func (r *Redis) start() {
	r.t.Helper()
	bin := binary(r.t, "redis-server", "redis-server")
	r.proc = spawn(r.t, "redis-server :"+strconv.Itoa(r.port), bin, r.args, filepath.Join(r.dir, "redis.log"), "")
	if err := r.waitReady(30 * time.Second); err != nil {
		r.t.Fatalf("servers: Redis on %s: %v\n%s", r.Addr(), err, r.proc.logTail(20))
	}
}

// waitReady waits until the server answers PING (not LOADING).
func (r *Redis) waitReady(timeout time.Duration) error {
	c := r.Client()
	defer c.Close()
	return waitFor(timeout, func() error {
		if !r.proc.running() {
			return fmt.Errorf("redis-server exited: %v", r.proc.err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
}

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// Port is the TCP port.
func (r *Redis) Port() int { return r.port }

// URL is a redis:// URL for database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr(), db) }

// Client is a new client of database 0; the caller closes it.
func (r *Redis) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1, DialTimeout: time.Second})
}

// Running reports whether the server process is alive.
func (r *Redis) Running() bool { return r.proc != nil && r.proc.running() }

// Kill is kill -9: the server dies without saving anything.
func (r *Redis) Kill() {
	r.t.Helper()
	r.proc.kill()
}

// Stop shuts the server down the way an operator would (SIGTERM).
func (r *Redis) Stop() {
	r.t.Helper()
	r.proc.signal(syscall.SIGTERM, 10*time.Second)
}

// Restart starts the server again on the same port with the same files: with
// AOF it comes back with its data, without it empty. It kills a running one.
func (r *Redis) Restart() {
	r.t.Helper()
	r.proc.kill()
	r.start()
}

// RestartEmpty kills the server, deletes its files and starts it again on
// the same port: Redis lost whole, as a failover to a replica that had
// nothing would be.
func (r *Redis) RestartEmpty() {
	r.t.Helper()
	r.proc.kill()
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		r.t.Fatalf("servers: %v", err)
	}
	for _, e := range entries {
		if e.Name() == "redis.log" || strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(r.dir, e.Name())); err != nil {
			r.t.Fatalf("servers: %v", err)
		}
	}
	r.start()
}

// DBSize is how many keys database 0 holds.
func (r *Redis) DBSize() int64 {
	r.t.Helper()
	c := r.Client()
	defer c.Close()
	n, err := c.DBSize(context.Background()).Result()
	if err != nil {
		r.t.Fatalf("servers: DBSIZE on %s: %v", r.Addr(), err)
	}
	return n
}

// info returns one field of INFO section.
func info(ctx context.Context, c *redis.Client, section, field string) (string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v, nil
		}
	}
	return "", nil
}
