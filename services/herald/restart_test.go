package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/pkg/testkit/proctest"
)

// restartSubscriptions is the audience of a restart scenario; the simulator
// answers slowly enough that the broadcast is still running when the test
// interrupts the process.
const (
	restartSubscriptions = 1500
	restartConcurrency   = 8
)

// restartScenario is a broadcast being delivered by a Herald child process
// (API + worker) that the test interrupts and then replaces.
type restartScenario struct {
	t      *testing.T
	push   *pushsim.Server
	env    []string
	key    string
	subs   []pushsim.Subscription
	noteID string
	first  *proctest.Proc
	// resumedAfter is how long after the new process was ready delivery
	// went on (completeAfterRestart).
	resumedAfter time.Duration
}

// startRestartScenario starts Herald in a child process on real PostgreSQL
// and Redis, registers the audience, broadcasts, and returns once the first
// 200 messages have arrived.
func startRestartScenario(t *testing.T, extraEnv ...string) *restartScenario {
	t.Helper()
	push := pushsim.New(pushsim.Config{Delay: 20 * time.Millisecond})
	ts := httptest.NewServer(push.Handler())
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)
	sc := &restartScenario{t: t, push: push, env: append([]string{
		"HERALD_DATABASE_URL=" + testkit.PostgresURL(t),
		"HERALD_REDIS_URL=" + testkit.RedisURL(t),
		"HERALD_MASTER_KEY=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN=" + testAdminToken,
		"HERALD_VAPID_SUBJECT=mailto:ops@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS=" + ts.URL,
		"HERALD_WORKER_CONCURRENCY=8",
	}, extraEnv...)}
	var api string
	sc.first, api = sc.start()
	sc.key = postJSON(t, api+"/v1/apps", testAdminToken, map[string]any{"name": "restart"}, 201)["api_key"].(string)
	subs, err := push.MintN(restartSubscriptions, pushsim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		postJSON(t, api+"/v1/subscriptions", sc.key, map[string]any{"subscription": s.ToJSON()}, 201)
	}
	sc.subs = subs
	sc.noteID = postJSON(t, api+"/v1/notifications", sc.key, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "survive"}}, 202)["id"].(string)
	for push.Stats().Delivered < 200 {
		time.Sleep(20 * time.Millisecond)
	}
	return sc
}

// start runs a Herald child process and waits until it is ready.
func (sc *restartScenario) start() (*proctest.Proc, string) {
	sc.t.Helper()
	addr := proctest.FreeAddr(sc.t)
	p := proctest.Start(sc.t, sc.t.TempDir(), append(sc.env, "HERALD_HTTP_ADDR="+addr, "HERALD_WORKER_ADDR="+proctest.FreeAddr(sc.t))...)
	if err := proctest.WaitHTTP(sc.t.Context(), "http://"+addr+"/readyz", 200, 60*time.Second); err != nil {
		sc.t.Fatal(err)
	}
	return p, "http://" + addr
}

// delivered is how many messages the simulator accepted so far; the
// broadcast must not have finished before the interruption.
func (sc *restartScenario) deliveredBeforeRestart() int64 {
	sc.t.Helper()
	d := sc.push.Stats().Delivered
	if d >= restartSubscriptions {
		sc.t.Fatalf("broadcast finished before the interruption (%d delivered); slow the simulator", d)
	}
	return d
}

// completeAfterRestart starts a new process and waits for the notification
// to complete with every endpoint reached; it returns the duplicates seen.
func (sc *restartScenario) completeAfterRestart(timeout time.Duration) int64 {
	sc.t.Helper()
	before := sc.push.Stats().Delivered
	_, api := sc.start()
	ready := time.Now()
	deadline := time.Now().Add(timeout)
	for {
		if sc.resumedAfter == 0 && sc.push.Stats().Delivered > before {
			sc.resumedAfter = time.Since(ready)
		}
		got := getJSON(sc.t, api+"/v1/notifications/"+sc.noteID, sc.key)
		if got["status"] == "completed" {
			if c := counts(got); c != "targeted=1500 delivered=1500 gone=0 dead=0 pending=0" {
				sc.t.Fatalf("counts %s", c)
			}
			break
		}
		if time.Now().After(deadline) {
			sc.t.Fatalf("not completed after restart: %v", got)
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, s := range sc.subs {
		if st, _ := sc.push.Subscription(s.ID); st.DeliveryCount < 1 {
			sc.t.Fatalf("subscription %s never reached", s.ID)
		}
	}
	return sc.push.Stats().Duplicates
}
