package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/deploy"
	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

// SIGTERM while both job servers hold batches that cannot finish (the push
// service answers after minutes): the servers stop together, so the process
// exits within one HERALD_SHUTDOWN_TIMEOUT plus deploy.ShutdownOverhead, the
// figure every grace period in deploy/ is checked against. (Stopped one after
// the other they took two timeouts.)
func TestOpsSIGTERMStopsBothJobServersWithinOneTimeout(t *testing.T) {
	t.Parallel()
	const shutdownTimeout = 6 * time.Second
	push := pushsim.New(pushsim.Config{Delay: 5 * time.Minute})
	var mu sync.Mutex
	inFlight := map[string]int{} // push path -> requests waiting for an answer
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight[r.URL.Path]++
		mu.Unlock()
		defer func() { mu.Lock(); inFlight[r.URL.Path]--; mu.Unlock() }()
		// Read the body first: only then does the server notice a client
		// gone away and end the simulator's wait.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		push.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)

	addr := proctest.FreeAddr(t)
	proc := proctest.Start(t, t.TempDir(),
		"HERALD_DATABASE_URL="+testkit.PostgresURL(t),
		"HERALD_REDIS_URL="+testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN="+testAdminToken,
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS="+ts.URL,
		"HERALD_WORKER_CONCURRENCY=8",
		"HERALD_SHUTDOWN_TIMEOUT="+shutdownTimeout.String(),
		"HERALD_HTTP_ADDR="+addr,
		"HERALD_WORKER_ADDR="+proctest.FreeAddr(t),
	)
	api := "http://" + addr
	if err := proctest.WaitHTTP(t.Context(), api+"/readyz", 200, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	key := postJSON(t, api+"/v1/apps", testAdminToken, map[string]any{"name": "shutdown"}, 201)["api_key"].(string)
	subs, err := push.MintN(11, pushsim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	var urgentID string
	for i, s := range subs {
		id := postJSON(t, api+"/v1/subscriptions", key, map[string]any{"subscription": s.ToJSON()}, 201)["id"].(string)
		if i == 0 {
			urgentID = id
		}
	}
	// A broadcast for the main job server, an urgent message to one
	// subscription for the critical one.
	postJSON(t, api+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "bulk"}}, 202)
	postJSON(t, api+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"subscription_ids": []string{urgentID}}, "urgency": "high",
		"notification": map[string]any{"title": "urgent"}}, 202)
	urgentPath := strings.TrimPrefix(subs[0].Endpoint, ts.URL)
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		var bulk int
		for path, n := range inFlight {
			if path != urgentPath {
				bulk += n
			}
		}
		// The urgent subscription is also in the broadcast: held twice
		// means both servers hold it.
		held := bulk > 0 && inFlight[urgentPath] == 2
		mu.Unlock()
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job servers never both held a batch: %v", inFlight)
		}
		time.Sleep(20 * time.Millisecond)
	}

	start := time.Now()
	if err := proc.Stop(t, syscall.SIGTERM, 4*shutdownTimeout); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	took := time.Since(start)
	t.Logf("exited %s after SIGTERM (HERALD_SHUTDOWN_TIMEOUT %s)", took.Round(10*time.Millisecond), shutdownTimeout)
	if took < shutdownTimeout-time.Second {
		t.Errorf("exited after %s: it did not wait for the running batches", took)
	}
	if limit := shutdownTimeout + deploy.ShutdownOverhead; took > limit {
		t.Errorf("exited after %s, more than HERALD_SHUTDOWN_TIMEOUT + deploy.ShutdownOverhead = %s", took, limit)
	}
}
