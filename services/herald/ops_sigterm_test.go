package main

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM to the process delivering a broadcast: its batches stop starting
// sends at once, record the sends in flight and are handed back; it exits 0
// well within its shutdown timeout, with batches cut mid-send. A new
// process resumes them at once, from where they stopped: nothing arrives
// twice, every endpoint is reached.
func TestOpsSIGTERMMidBroadcastLosesNothing(t *testing.T) {
	t.Parallel()
	sc := startRestartScenario(t, "HERALD_SHUTDOWN_TIMEOUT=20s")
	signalled := time.Now()
	if err := sc.first.Stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("SIGTERM: exit %v", err)
	}
	if took := time.Since(signalled); took > 15*time.Second {
		t.Fatalf("exit took %s: running batches were not handed back", took.Round(time.Second))
	}
	if !strings.Contains(sc.first.Output(), "herald stopped cleanly") {
		t.Fatalf("no clean stop after SIGTERM:\n%s", sc.first.Output())
	}
	atStop := sc.deliveredBeforeRestart()
	if atStop%500 == 0 {
		t.Fatalf("%d delivered at the signal: no batch (of 500) was cut mid-send", atStop)
	}
	// Nothing is sent while no worker runs.
	time.Sleep(500 * time.Millisecond)
	if d := sc.push.Stats().Delivered; d != atStop {
		t.Fatalf("%d deliveries after the process exited", d-atStop)
	}
	restarted := time.Now()
	duplicates := sc.completeAfterRestart(time.Minute)
	if duplicates != 0 {
		t.Fatalf("%d duplicates after SIGTERM: the sends in flight were recorded before the exit, none may repeat", duplicates)
	}
	t.Logf("delivered at SIGTERM: %d; resumed in %s after the new process was ready; completed %s after the restart",
		atStop, sc.resumedAfter.Round(100*time.Millisecond), time.Since(restarted).Round(100*time.Millisecond))
	if sc.resumedAfter > 10*time.Second {
		t.Fatalf("delivery resumed %s after the new process was ready: the handed-back batches waited", sc.resumedAfter.Round(time.Second))
	}
}
