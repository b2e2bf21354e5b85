package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// chaosConcurrency is the sends in flight of a chaos test's worker: the
// most messages a fault may cost twice.
const chaosConcurrency = 16

// Redis restarted without its data in the middle of a broadcast (no AOF,
// or a failover to a replica that had nothing): every queued batch, the
// retries and a scheduled notification's fan-out are gone. The reconciler
// finds the notifications without live jobs in PostgreSQL and makes their
// work again from the fan-out cursor and the recorded deliveries: every
// subscription is reached, the broadcast completes, only sends in flight
// at the loss may arrive twice, and the scheduled one still goes out.
func TestChaosRedisRestartedEmptyMidBroadcast(t *testing.T) {
	t.Parallel()
	rds := servers.StartRedis(t, servers.RedisOptions{})
	p := startPipelineWith(t, pushsim.Config{Delay: 20 * time.Millisecond}, map[string]string{
		"HERALD_REDIS_URL":              rds.URL(0),
		"HERALD_WORKER_CONCURRENCY":     "16",
		"HERALD_RECONCILE_INTERVAL":     "500ms",
		"HERALD_RECONCILE_STALL":        "2s",
		"HERALD_WORKER_CONCURRENCY_MIN": "16",
	})
	const total = 2000
	subs := p.subscribe(total, "ok")
	later := p.subscribe(3, "ok")
	var laterIDs []string
	for _, s := range later {
		laterIDs = append(laterIDs, strings.Split(s.ID, "|")[1])
	}
	sendAt := time.Now().Add(6 * time.Second).UTC().Format(time.RFC3339)
	scheduled := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": laterIDs}, "notification": map[string]any{"title": "later"},
		"send_at": sendAt}, 202)["id"].(string)
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "through a loss"},
	}, 202)["id"].(string)
	for p.sim.Stats().Delivered < 500 {
		time.Sleep(5 * time.Millisecond)
	}
	rds.RestartEmpty()
	atLoss := p.sim.Stats().Delivered
	if atLoss >= total {
		t.Fatalf("broadcast finished before the loss (%d delivered)", atLoss)
	}
	lost := time.Now()
	n := p.waitCompleted(id, 45*time.Second)
	if got, want := counts(n), "targeted=2003 delivered=2003 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts after the loss: %s, want %s", got, want)
	}
	s := p.waitCompleted(scheduled, 30*time.Second)
	if got, want := counts(s), "targeted=3 delivered=3 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("scheduled notification: %s, want %s", got, want)
	}
	for _, sub := range subs {
		if st, _ := p.sim.Subscription(strings.Split(sub.ID, "|")[0]); st.DeliveryCount < 1 {
			t.Fatalf("subscription %s never reached", sub.ID)
		}
	}
	for _, sub := range later { // the broadcast and the scheduled one
		if st, _ := p.sim.Subscription(strings.Split(sub.ID, "|")[0]); st.DeliveryCount < 2 {
			t.Fatalf("subscription %s got %d of its 2 notifications", sub.ID, st.DeliveryCount)
		}
	}
	duplicates := p.sim.Stats().Duplicates - int64(len(later))
	if duplicates > chaosConcurrency {
		t.Fatalf("%d duplicates: more than the %d sends in flight at the loss", duplicates, chaosConcurrency)
	}
	t.Logf("delivered at the loss: %d; completed %s after it; duplicates %d", atLoss, time.Since(lost).Round(100*time.Millisecond), duplicates)
}
