package main

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// What the chaos tests share: a worker with a fixed number of sends in
// flight, a broadcast to 2,000 simulated browsers, the fault at about 500
// delivered, and the checks after it.

// chaosConcurrency is the sends in flight of a chaos test's worker: the
// most messages a fault may cost twice.
const chaosConcurrency = 16

// chaosSettings are the worker settings of a chaos test, over env.
func chaosSettings(env map[string]string) map[string]string {
	out := map[string]string{"HERALD_WORKER_CONCURRENCY": "16", "HERALD_WORKER_CONCURRENCY_MIN": "16"}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// startChaosBroadcast registers total browsers (the simulator answers in
// 20 ms, so the broadcast lasts a few seconds), broadcasts to every
// subscription and returns once 500 were delivered.
func startChaosBroadcast(t *testing.T, env map[string]string, total int) (*pipeline, []pushsim.Subscription, string) {
	t.Helper()
	p := startPipelineWith(t, pushsim.Config{Delay: 20 * time.Millisecond}, chaosSettings(env))
	subs := p.subscribe(total, "ok")
	id := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "through a fault"},
	}, 202)["id"].(string)
	for p.sim.Stats().Delivered < 500 {
		time.Sleep(5 * time.Millisecond)
	}
	return p, subs, id
}

// checkReached fails the test unless every one of subs got at least want
// messages.
func (p *pipeline) checkReached(subs []pushsim.Subscription, want int64) {
	p.t.Helper()
	for _, sub := range subs {
		if st, _ := p.sim.Subscription(strings.Split(sub.ID, "|")[0]); st.DeliveryCount < want {
			p.t.Fatalf("subscription %s got %d messages, want %d", sub.ID, st.DeliveryCount, want)
		}
	}
}

// checkDuplicates fails the test if more than the sends in flight arrived
// twice, beyond expected ones, and returns how many did.
func (p *pipeline) checkDuplicates(expected int64) int64 {
	p.t.Helper()
	duplicates := p.sim.Stats().Duplicates - expected
	if duplicates > chaosConcurrency {
		p.t.Fatalf("%d duplicates: more than the %d sends in flight at the fault", duplicates, chaosConcurrency)
	}
	return duplicates
}
