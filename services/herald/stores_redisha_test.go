package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// Redis failing under a broadcast in the three ways production sees: a
// Sentinel-managed master failed over (its replica promoted); the master
// of the broadcast queue's slot killed in a Cluster (its replica
// promoted); a lone Redis with AOF killed and started again with its
// files. Writes the dead or demoted master had not passed on are lost, as
// in a real crash; PostgreSQL knows what was accepted and recorded, so
// nothing is lost and only sends in flight at the fault may arrive twice.

// haBroadcast is the size of these broadcasts: long enough (about 5 s at
// the chaos worker's pace) that the fault and the failover land mid-way.
const haBroadcast = 4000

// haSettings make the reconciler quick, so that work lost with a master is
// made again within seconds.
var haSettings = map[string]string{
	"HERALD_RECONCILE_INTERVAL": "500ms",
	"HERALD_RECONCILE_STALL":    "2s",
}

func haEnv(redisURL string) map[string]string {
	env := map[string]string{"HERALD_REDIS_URL": redisURL}
	for k, v := range haSettings {
		env[k] = v
	}
	return env
}

// checkHABroadcast waits for the broadcast and the notification sent
// during or after the fault to complete, and checks that nothing was lost
// and duplicates stay within the sends in flight.
func checkHABroadcast(t *testing.T, p *pipeline, subs []pushsim.Subscription, id, during string, duringSubs []pushsim.Subscription, fault time.Time) {
	t.Helper()
	n := p.waitCompleted(id, 90*time.Second)
	if got, want := counts(n), "targeted=4000 delivered=4000 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("broadcast after the fault: %s, want %s", got, want)
	}
	d := p.waitCompleted(during, 30*time.Second)
	if got, want := counts(d), "targeted=3 delivered=3 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("the notification sent at the fault: %s, want %s", got, want)
	}
	p.checkReached(subs, 1)
	p.checkReached(duringSubs, 2)
	duplicates := p.checkDuplicates(int64(len(duringSubs)))
	t.Logf("completed %s after the fault; duplicates %d (bound %d)", time.Since(fault).Round(100*time.Millisecond), duplicates, chaosConcurrency)
}

// sendToFew accepts a notification to the first three of subs.
func sendToFew(p *pipeline, subs []pushsim.Subscription, title string) (string, []pushsim.Subscription) {
	p.t.Helper()
	few := subs[:3]
	var ids []string
	for _, s := range few {
		ids = append(ids, strings.Split(s.ID, "|")[1])
	}
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"subscription_ids": ids}, "notification": map[string]any{"title": title}}, 202)["id"].(string)
	return id, few
}

// faultMidBroadcast starts a broadcast through redisURL and, at about 500
// delivered, runs fault, sends a notification to three of the broadcast's
// subscriptions, runs what fault returned (if anything) and checks both.
func faultMidBroadcast(t *testing.T, redisURL, what string, fault func() (then func())) {
	t.Helper()
	p, subs, id := startChaosBroadcast(t, haEnv(redisURL), haBroadcast)
	at, atFault := time.Now(), p.sim.Stats().Delivered
	then := fault()
	t.Logf("%s at %d delivered, done after %s, at %d delivered", what, atFault, time.Since(at).Round(100*time.Millisecond), p.sim.Stats().Delivered)
	if atFault >= haBroadcast {
		t.Fatalf("broadcast finished before the fault (%d delivered)", atFault)
	}
	during, few := sendToFew(p, subs, "at the fault")
	if then != nil {
		then()
	}
	checkHABroadcast(t, p, subs, id, during, few, at)
}

// A Sentinel set (one master, one replica, three sentinels) failed over
// mid-broadcast (SENTINEL FAILOVER: the old master turns replica and drops
// what clients still wrote to it): Herald's clients follow the switch, and
// the broadcast completes with nothing lost. (Given the first master's own
// address instead of the sentinels', the broadcast stops at the switch.)
func TestChaosSentinelFailoverMidBroadcast(t *testing.T) {
	t.Parallel()
	set := servers.StartSentinel(t, servers.RedisOptions{})
	faultMidBroadcast(t, set.URL(0), "failover", func() func() {
		set.Failover()
		return nil
	})
}

// The master serving the broadcast queue's slot in a 3-master Cluster
// killed with -9 mid-broadcast: its replica takes the slots over and the
// broadcast completes with nothing lost.
func TestChaosClusterMasterKilledMidBroadcast(t *testing.T) {
	t.Parallel()
	cl := servers.StartCluster(t, servers.RedisOptions{})
	faultMidBroadcast(t, cl.URL(), "bulk queue's master killed, its replica promoted", func() func() {
		cl.KillMaster(cl.MasterOf("asynq:{herald:bulk}:pending"))
		return nil
	})
}

// A lone Redis with AOF (appendfsync everysec) killed with -9 mid-broadcast
// and started again 5 s later with its files: a notification accepted
// while it was down is delivered, the broadcast completes, nothing is lost.
func TestChaosRedisKilledWithAOFMidBroadcast(t *testing.T) {
	t.Parallel()
	rds := servers.StartRedis(t, servers.RedisOptions{AOF: true})
	faultMidBroadcast(t, rds.URL(0), "Redis killed", func() func() {
		killed := time.Now()
		rds.Kill()
		return func() {
			time.Sleep(5*time.Second - time.Since(killed))
			rds.Restart()
		}
	})
}
