package main

import (
	"encoding/json"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// SIGKILL to the process delivering a broadcast, then a new one: the
// notification completes and every endpoint is reached. Outcomes are
// recorded as they come and a send's slot waits for its record, so only
// the sends in flight at the kill may arrive twice. The killed process's
// batches come back through Herald's own claims (jobqueue.Runs) within
// seconds, not asynq's 60-120 s lease recovery.
func TestSIGKILLMidBroadcastLosesNothing(t *testing.T) {
	t.Parallel()
	sc := startRestartScenario(t, "HERALD_DELIVERY_BACKOFF_BASE=200ms", "HERALD_DELIVERY_BACKOFF_MAX=1s")
	killed := time.Now()
	if err := sc.first.Stop(t, syscall.SIGKILL, 10*time.Second); err == nil {
		t.Fatal("SIGKILL reported a clean exit")
	}
	atKill := sc.deliveredBeforeRestart()
	duplicates := sc.completeAfterRestart(2 * time.Minute)
	took := time.Since(killed)
	if duplicates > restartConcurrency {
		t.Fatalf("%d duplicates: more than the %d sends in flight at the kill", duplicates, restartConcurrency)
	}
	// The kill's batches come back within RunClaimTTL and two recovery
	// passes (about 20 s), then take a few seconds; asynq alone hands them
	// back no sooner than a minute after the kill (a 30 s lease, 30 s of
	// allowance for clock skew, a recovery pass a minute).
	if took > 60*time.Second {
		t.Fatalf("completed %s after the kill: the killed process's batches came back late", took.Round(time.Second))
	}
	t.Logf("delivered at kill: %d; completed %s after it; duplicates %d", atKill, took.Round(100*time.Millisecond), duplicates)
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
