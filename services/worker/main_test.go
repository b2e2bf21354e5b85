package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/dbtest"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

func TestMain(m *testing.M) {
	proctest.RunMainIfChild(main)
	os.Exit(m.Run())
}

// A worker on real PostgreSQL and Redis reports healthy and ready, serves
// metrics, and exits 0 on SIGTERM.
func TestWorkerHealthAndCleanStop(t *testing.T) {
	t.Parallel()
	addr := proctest.FreeAddr(t)
	p := proctest.Start(t, t.TempDir(),
		"HERALD_DATABASE_URL="+testkit.PostgresURL(t),
		"HERALD_REDIS_URL="+testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_WORKER_ADDR="+addr,
	)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if err := proctest.WaitHTTP(t.Context(), "http://"+addr+path, 200, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The adaptive bound on sends starts at its minimum (16 by default).
	for _, want := range []string{"herald_worker_sends_limit 16", "herald_worker_sends_in_flight 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := p.Stop(t, syscall.SIGTERM, 40*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

func TestWorkerRejectsBadSettings(t *testing.T) {
	t.Parallel()
	p := proctest.Start(t, t.TempDir(), "HERALD_WORKER_CONCURRENCY=zero", "HERALD_WORKER_CONCURRENCY_MIN=300", "HERALD_PUSH_ENCRYPTION=rot13", "HERALD_DELIVERY_BACKOFF_BASE=2h", "HERALD_DELIVERY_BACKOFF_MAX=1h")
	p.WaitOutput(t, "HERALD_DELIVERY_BACKOFF_MAX", 30*time.Second)
	if err := p.Stop(t, syscall.SIGTERM, 30*time.Second); err == nil {
		t.Fatal("worker started with invalid settings")
	}
	for _, name := range []string{"HERALD_WORKER_CONCURRENCY", "HERALD_WORKER_CONCURRENCY_MIN", "HERALD_PUSH_ENCRYPTION"} {
		if out := p.Output(); !strings.Contains(out, name) {
			t.Fatalf("output does not name %s:\n%s", name, out)
		}
	}
}

// A worker given a database but no Redis would run an in-process Redis no
// API shares, and deliver nothing: it refuses to start, and says why.
func TestWorkerRefusesDatabaseWithoutSharedRedis(t *testing.T) {
	t.Parallel()
	p := proctest.Start(t, t.TempDir(),
		"HERALD_DATABASE_URL="+testkit.PostgresURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_WORKER_ADDR="+proctest.FreeAddr(t),
	)
	if err := p.Wait(t, 30*time.Second); err == nil {
		t.Fatal("worker started with a database and no Redis")
	}
	if out := p.Output(); !strings.Contains(out, "HERALD_REDIS_URL: required with HERALD_DATABASE_URL") || strings.Contains(out, "worker running") {
		t.Fatalf("output:\n%s", out)
	}
}

// A worker of an older release on a database a newer one migrated refuses
// to start, whether it migrates or not, and says why.
func TestWorkerRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	dbtest.NewerSchema(t, dbURL, "from a newer release")
	for _, migrate := range []string{"true", "false"} {
		p := proctest.Start(t, t.TempDir(),
			"HERALD_DATABASE_URL="+dbURL,
			"HERALD_REDIS_URL="+testkit.RedisURL(t),
			"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
			"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
			"HERALD_WORKER_ADDR="+proctest.FreeAddr(t),
			"HERALD_MIGRATE="+migrate,
		)
		if err := p.Wait(t, 60*time.Second); err == nil {
			t.Fatalf("HERALD_MIGRATE=%s: the worker started on a newer schema", migrate)
		}
		if out := p.Output(); !strings.Contains(out, "database schema is newer than this binary") || !strings.Contains(out, "from a newer release") {
			t.Errorf("HERALD_MIGRATE=%s: output does not explain the refusal:\n%s", migrate, out)
		}
	}
}
