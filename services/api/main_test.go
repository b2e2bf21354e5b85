package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

func TestMain(m *testing.M) {
	proctest.RunMainIfChild(main)
	os.Exit(m.Run())
}

// Two replicas started at the same moment on an empty database both come up:
// the migration lock makes one wait for the other.
func TestTwoReplicasStartTogether(t *testing.T) {
	t.Parallel()
	env := []string{
		"HERALD_DATABASE_URL=" + testkit.PostgresURL(t),
		"HERALD_REDIS_URL=" + testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=replica-test-admin-token",
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
	}
	addrs := []string{proctest.FreeAddr(t), proctest.FreeAddr(t)}
	procs := make([]*proctest.Proc, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			procs[i] = proctest.Start(t, t.TempDir(), append(env, "HERALD_HTTP_ADDR="+addr)...)
		}()
	}
	wg.Wait()
	ctx := context.Background()
	for _, addr := range addrs {
		if err := proctest.WaitHTTP(ctx, "http://"+addr+"/readyz", 200, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Both serve the same data: an app made on one is visible on the other.
	body, _ := json.Marshal(map[string]any{"name": "x"})
	req, _ := http.NewRequest("POST", "http://"+addrs[0]+"/v1/apps", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer replica-test-admin-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create app: %v %v", resp, err)
	}
	var created struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err := proctest.WaitHTTP(ctx, "http://"+addrs[1]+"/v1/apps/"+created.ID+"/vapid-public-key", 200, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, p := range procs {
		if err := p.Stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
		}
	}
}

func TestRefusesIncompleteProductionConfig(t *testing.T) {
	t.Parallel()
	p := proctest.Start(t, t.TempDir(), "HERALD_DATABASE_URL=postgres://127.0.0.1:1/x", "HERALD_MASTER_KEY=short")
	p.WaitOutput(t, "HERALD_ADMIN_TOKEN", 30*time.Second)
	if err := p.Stop(t, syscall.SIGTERM, 30*time.Second); err == nil {
		t.Fatal("started without admin token, master key and VAPID subject")
	}
	for _, want := range []string{"HERALD_MASTER_KEY", "HERALD_VAPID_SUBJECT", "openssl rand", "HERALD_REDIS_URL: required with HERALD_DATABASE_URL"} {
		if !bytes.Contains([]byte(p.Output()), []byte(want)) {
			t.Errorf("error output does not mention %s:\n%s", want, p.Output())
		}
	}
}

// `herald-api migrate` brings an empty schema to the latest version and exits 0.
func TestMigrateOnly(t *testing.T) {
	t.Parallel()
	p := proctest.StartArgs(t, t.TempDir(), []string{"migrate"},
		"HERALD_DATABASE_URL="+testkit.PostgresURL(t),
		"HERALD_REDIS_URL="+testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=migrate-test-admin-token",
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
	)
	if err := p.Wait(t, 60*time.Second); err != nil {
		t.Fatalf("migrate: %v\n%s", err, p.Output())
	}
	if !bytes.Contains([]byte(p.Output()), []byte("migrations applied")) {
		t.Fatalf("no confirmation:\n%s", p.Output())
	}
}
