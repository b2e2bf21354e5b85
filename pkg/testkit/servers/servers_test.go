package servers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func TestRedisRestartKeepsDataOnlyWithAOF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, aof := range []bool{true, false} {
		r := StartRedis(t, RedisOptions{AOF: aof})
		c := r.Client()
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		r.Kill()
		if r.Running() {
			t.Fatal("still running after kill -9")
		}
		r.Restart()
		if got, want := r.DBSize(), map[bool]int64{true: 1, false: 0}[aof]; got != want {
			t.Fatalf("AOF %v: %d keys after kill -9 and restart, want %d", aof, got, want)
		}
		r.RestartEmpty()
		if n := r.DBSize(); n != 0 {
			t.Fatalf("AOF %v: %d keys after a restart without data", aof, n)
		}
	}
}

func TestSentinelFailsOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := StartSentinel(t, RedisOptions{})
	first := s.MasterAddr()
	c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: sentinelAddrs(s)})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// Replication is asynchronous: on a loaded machine the replica may not
	// have "k" yet when it is promoted. WAIT until it has, so the test checks
	// the failover, not the replication lag.
	if n, err := c.Do(ctx, "WAIT", 1, 10000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica: %d replicas, %v", n, err)
	}
	s.Failover()
	second := s.MasterAddr()
	if second == first {
		t.Fatalf("master still %s after SENTINEL FAILOVER", first)
	}
	if err := waitFor(10*time.Second, func() error { return c.Set(ctx, "k2", "v", 0).Err() }); err != nil {
		t.Fatalf("write after failover: %v", err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET k after failover = %q, %v", v, err)
	}
	s.KillMaster()
	if third := s.MasterAddr(); third != first {
		t.Fatalf("after killing %s the master is %s, want %s", second, third, first)
	}
	if err := waitFor(10*time.Second, func() error { return c.Set(ctx, "k3", "v", 0).Err() }); err != nil {
		t.Fatalf("write after the master died: %v", err)
	}
}

func sentinelAddrs(s *Sentinel) []string {
	out := make([]string, len(s.ports))
	for i, p := range s.ports {
		out[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	return out
}

func TestClusterSurvivesMasterLoss(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := StartCluster(t, RedisOptions{})
	if n := len(cl.Masters()); n != 3 {
		t.Fatalf("%d masters, want 3", n)
	}
	addrs := make([]string, 0, 6)
	for _, n := range cl.Nodes() {
		addrs = append(addrs, n.Addr())
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ClusterStateReloadInterval: time.Second})
	defer c.Close()
	if err := c.Set(ctx, "{a}k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	m := cl.MasterOf("{a}k")
	cl.KillMaster(m)
	for _, x := range cl.Masters() {
		if x == m {
			t.Fatal("killed master still serves slots")
		}
	}
	if err := waitFor(20*time.Second, func() error { return c.Set(ctx, "{a}k2", "v", 0).Err() }); err != nil {
		t.Fatalf("write after master loss: %v", err)
	}
}

func TestPostgresStopStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := StartPostgres(t, PostgresOptions{MaxConnections: 20})
	pg.Exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (7)")
	pg.Stop()
	if _, err := pgx.Connect(ctx, pg.URL("postgres")); err == nil {
		t.Fatal("connected to a stopped server")
	}
	pg.Start()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v, maxConns int
	if err := conn.QueryRow(ctx, "SELECT v, current_setting('max_connections')::int FROM kept").Scan(&v, &maxConns); err != nil || v != 7 || maxConns != 20 {
		t.Fatalf("after restart: v=%d max_connections=%d err=%v", v, maxConns, err)
	}
}

// Through PgBouncer in transaction mode, statements run in unnamed
// statements (pgx exec mode) work, and the pool holds at most PoolSize
// server connections however many clients connect.
func TestPgBouncerTransactionPooling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := StartPostgres(t, PostgresOptions{})
	b := StartPgBouncer(t, pg, PgBouncerOptions{PoolSize: 2})
	var conns []*pgx.Conn
	for range 6 {
		c, err := pgx.Connect(ctx, b.URL("postgres")+"&default_query_exec_mode=exec")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		conns = append(conns, c)
	}
	for i, c := range conns {
		var n int
		if err := c.QueryRow(ctx, "SELECT $1::int + 1", i).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("client %d: %d, %v", i, n, err)
		}
	}
	direct, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	var servers int
	if err := direct.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()").Scan(&servers); err != nil {
		t.Fatal(err)
	}
	if servers > 2 {
		t.Fatalf("%d server connections behind a pool of 2", servers)
	}
	// A startup parameter PgBouncer does not know is refused: Herald must not send any.
	_, err = pgx.Connect(ctx, b.URL("postgres")+"&plan_cache_mode=force_custom_plan")
	if err == nil || !strings.Contains(err.Error(), "unsupported startup parameter") {
		t.Fatalf("PgBouncer and an unsupported startup parameter: %v", err)
	}
}
