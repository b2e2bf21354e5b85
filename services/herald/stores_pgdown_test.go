package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/testkit/servers"
)

// PostgreSQL stopped for 5 s in the middle of a broadcast. Routes that need
// it answer 503 storage_unavailable with Retry-After (health keeps
// answering); the worker, unable to record outcomes, stops sending and
// records what it sent once the database is back; the broadcast then
// completes with nothing lost and only sends in flight at the stop
// arriving twice.
func TestChaosPostgresDownMidBroadcast(t *testing.T) {
	t.Parallel()
	pg := servers.StartPostgres(t, servers.PostgresOptions{})
	p, subs, id := startChaosBroadcast(t, map[string]string{"HERALD_DATABASE_URL": pg.URL("postgres")}, 2000)
	pg.Stop()
	stopped := time.Now()
	atStop := p.sim.Stats().Delivered

	for _, req := range []struct{ path, body string }{
		{"/v1/notifications", `{"target": {"all": true}, "notification": {"title": "during"}}`},
		{"/v1/subscriptions", `{"subscription": {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}}`},
	} {
		status, code, retryAfter := p.rawPost(req.path, req.body)
		if status != 503 || code != "storage_unavailable" || retryAfter == "" {
			t.Fatalf("POST %s with the database down: %d %q Retry-After %q; want 503 storage_unavailable with Retry-After", req.path, status, code, retryAfter)
		}
	}
	if resp, err := http.Get(p.apiURL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz with the database down: %v %v", resp, err)
	}
	// The sends in flight at the stop finish; no more start until their
	// outcomes can be recorded.
	time.Sleep(5*time.Second - time.Since(stopped))
	settled := p.sim.Stats().Delivered
	if settled-atStop > chaosConcurrency {
		t.Fatalf("%d sent after the database stopped: more than the %d in flight", settled-atStop, chaosConcurrency)
	}
	pg.Start()
	back := time.Now()

	n := p.waitCompleted(id, time.Minute)
	if got, want := counts(n), "targeted=2000 delivered=2000 gone=0 dead=0 pending=0"; got != want {
		t.Fatalf("counts after the outage: %s, want %s", got, want)
	}
	p.checkReached(subs, 1)
	duplicates := p.checkDuplicates(0)
	t.Logf("delivered at the stop: %d (+%d in flight); completed %s after the restart; duplicates %d",
		atStop, settled-atStop, time.Since(back).Round(100*time.Millisecond), duplicates)
}

// rawPost posts body with the app's key and returns the status, the error
// code and the Retry-After header.
func (p *pipeline) rawPost(path, body string) (status int, code, retryAfter string) {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.apiURL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error struct{ Code string }
	}
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out.Error.Code, resp.Header.Get("Retry-After")
}
