package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/proctest"
	"github.com/heraldpush/herald/pkg/testenv"
	"github.com/heraldpush/herald/services/pushsim/sim"
)

// SIGKILL to the process delivering a broadcast, then a new one: the
// notification completes and every endpoint is reached. Duplicates may only
// come from messages in flight at the kill. asynq recovers the killed
// process's tasks when their lease expires, so this takes a minute or two.
func TestSIGKILLMidBroadcastLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for asynq's lease recovery")
	}
	t.Parallel()
	push := sim.New(sim.Config{Delay: 10 * time.Millisecond})
	ts := httptest.NewServer(push.Handler())
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)
	env := []string{
		"HERALD_DATABASE_URL=" + testenv.PostgresURL(t),
		"HERALD_REDIS_URL=" + testenv.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=" + testAdminToken,
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS=" + ts.URL,
		"HERALD_WORKER_CONCURRENCY=8",
		"HERALD_DELIVERY_BACKOFF_BASE=200ms",
		"HERALD_DELIVERY_BACKOFF_MAX=1s",
	}
	start := func() (*proctest.Proc, string) {
		addr := proctest.FreeAddr(t)
		p := proctest.Start(t, t.TempDir(), append(env, "HERALD_HTTP_ADDR="+addr, "HERALD_WORKER_ADDR="+proctest.FreeAddr(t))...)
		if err := proctest.WaitHTTP(t.Context(), "http://"+addr+"/readyz", 200, 60*time.Second); err != nil {
			t.Fatal(err)
		}
		return p, "http://" + addr
	}
	first, api := start()
	created := postJSON(t, api+"/v1/apps", testAdminToken, map[string]any{"name": "kill"}, 201)
	key := created["api_key"].(string)
	const n = 1500
	subs, err := push.MintN(n, sim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		postJSON(t, api+"/v1/subscriptions", key, map[string]any{"subscription": s}, 201)
	}
	note := postJSON(t, api+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "survive"}}, 202)
	for push.Stats().Delivered < 200 {
		time.Sleep(20 * time.Millisecond)
	}
	if err := first.Stop(t, syscall.SIGKILL, 10*time.Second); err == nil {
		t.Fatal("SIGKILL reported a clean exit")
	}
	atKill := push.Stats().Delivered
	if atKill >= n {
		t.Fatalf("broadcast finished before the kill (%d delivered); slow the simulator", atKill)
	}

	_, api = start()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		got := getJSON(t, api+"/v1/notifications/"+note["id"].(string), key)
		if got["status"] == "completed" {
			if c := counts(got); c != "targeted=1500 delivered=1500 gone=0 dead=0 pending=0" {
				t.Fatalf("counts %s", c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not completed after the kill: %v", got)
		}
		time.Sleep(time.Second)
	}
	for _, s := range subs {
		st, _ := push.Subscription(s.ID)
		if st.DeliveryCount < 1 {
			t.Fatalf("subscription %s never reached", s.ID)
		}
	}
	// Only messages in flight at the kill (8 sends, plus outcomes not yet
	// flushed, at most 100 per batch in flight) may arrive twice.
	if d := push.Stats().Duplicates; d > 8+2*100 {
		t.Fatalf("%d duplicates: more than what was in flight at the kill", d)
	}
	t.Logf("delivered at kill: %d; duplicates after recovery: %d", atKill, push.Stats().Duplicates)
}

func postJSON(t *testing.T, url, token string, body any, want int) map[string]any {
	t.Helper()
	return post(t, url, token, body, want)
}

func getJSON(t *testing.T, url, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}
