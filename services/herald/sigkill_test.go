package main

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"
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
	sc := startRestartScenario(t, "HERALD_DELIVERY_BACKOFF_BASE=200ms", "HERALD_DELIVERY_BACKOFF_MAX=1s")
	if err := sc.first.Stop(t, syscall.SIGKILL, 10*time.Second); err == nil {
		t.Fatal("SIGKILL reported a clean exit")
	}
	atKill := sc.deliveredBeforeRestart()
	duplicates := sc.completeAfterRestart(4 * time.Minute)
	// Only messages in flight at the kill may arrive twice: the sends, plus
	// outcomes not yet recorded (at most two flushes of 100 for each of the
	// two batches in flight).
	if duplicates > restartConcurrency+2*2*100 {
		t.Fatalf("%d duplicates: more than what was in flight at the kill", duplicates)
	}
	t.Logf("delivered at kill: %d; duplicates after recovery: %d", atKill, duplicates)
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
