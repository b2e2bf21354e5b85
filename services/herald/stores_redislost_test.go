package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit/servers"
)

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
	p, subs, id := startChaosBroadcast(t, map[string]string{
		"HERALD_REDIS_URL":          rds.URL(0),
		"HERALD_RECONCILE_INTERVAL": "500ms",
		"HERALD_RECONCILE_STALL":    "2s",
	}, 2000)
	later := subs[:3]
	var laterIDs []string
	for _, s := range later {
		laterIDs = append(laterIDs, strings.Split(s.ID, "|")[1])
	}
	scheduled := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": laterIDs}, "notification": map[string]any{"title": "later"},
		"send_at": time.Now().Add(5 * time.Second).UTC().Format(time.RFC3339)}, 202)["id"].(string)
	rds.RestartEmpty()
	lost := time.Now()
	atLoss := p.sim.Stats().Delivered
	if atLoss >= int64(len(subs)) {
		t.Fatalf("broadcast finished before the loss (%d delivered)", atLoss)
	}
	n := p.waitCompleted(id, time.Minute)
	if got, want := counts(n), "targeted=2000 delivered=2000 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts after the loss: %s, want %s", got, want)
	}
	s := p.waitCompleted(scheduled, 30*time.Second)
	if got, want := counts(s), "targeted=3 delivered=3 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("scheduled notification: %s, want %s", got, want)
	}
	p.checkReached(subs, 1)
	p.checkReached(later, 2) // the broadcast and the scheduled one
	duplicates := p.checkDuplicates(int64(len(later)))
	t.Logf("delivered at the loss: %d; completed %s after it; duplicates %d", atLoss, time.Since(lost).Round(100*time.Millisecond), duplicates)
}
