package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM to the process delivering a broadcast: it stops taking jobs,
// hands back what it holds, exits 0 within its shutdown timeout; a new
// process completes the notification and every endpoint is reached, with
// no wait for asynq's lease recovery (unlike SIGKILL). Only sends in flight
// at the signal may arrive twice.
func TestOpsSIGTERMMidBroadcastLosesNothing(t *testing.T) {
	t.Parallel()
	sc := startRestartScenario(t, "HERALD_SHUTDOWN_TIMEOUT=10s")
	if err := sc.first.Stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v", err)
	}
	if !strings.Contains(sc.first.Output(), "herald stopped cleanly") {
		t.Fatalf("no clean stop after SIGTERM:\n%s", sc.first.Output())
	}
	atStop := sc.deliveredBeforeRestart()
	// Nothing is sent while no worker runs.
	time.Sleep(500 * time.Millisecond)
	if d := sc.push.Stats().Delivered; d != atStop {
		t.Fatalf("%d deliveries after the process exited", d-atStop)
	}
	duplicates := sc.completeAfterRestart(2 * time.Minute)
	if duplicates > restartConcurrency {
		t.Fatalf("%d duplicates: more than the %d sends in flight at the signal", duplicates, restartConcurrency)
	}
	t.Logf("delivered at SIGTERM: %d; duplicates: %d", atStop, duplicates)
}
