package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// overloadable is a push service that answers every push with 429 and
// Retry-After: 2 while overloaded, and counts the push requests it gets.
type overloadable struct {
	sim      *pushsim.Server
	until    atomic.Int64 // unix nanos the overload ends
	inside   atomic.Int64 // push requests while overloaded
	received atomic.Int64 // push requests in all
}

func newOverloadable(t *testing.T) (*overloadable, string) {
	o := &overloadable{sim: pushsim.New(pushsim.Config{})}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/push/") {
			o.received.Add(1)
			if time.Now().UnixNano() < o.until.Load() {
				o.inside.Add(1)
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Retry-After", "2")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
		}
		o.sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	o.sim.SetPublicOrigin(ts.URL)
	return o, ts.URL
}

// A push service answering 429 with Retry-After: 2 to everything for 10 s,
// during a broadcast delivered by two worker processes: the fleet backs off
// from it together (it gets far fewer requests than it has subscribers,
// where each message retried on its own would cost several), another push
// service's messages go out meanwhile at full speed, and everything is
// delivered once the overload ends, with no attempt spent on waiting.
func TestPushServicePacingAcrossTwoWorkerProcesses(t *testing.T) {
	t.Parallel()
	const perService = 600
	slow, slowURL := newOverloadable(t)
	fast, fastURL := newOverloadable(t)
	// Unpaced, each message would be retried every 2 s (its Retry-After)
	// and spend an attempt each time; paced, only the few sent when a
	// back-off ends spend one.
	f := startFleet(t, 2, []string{slowURL, fastURL}, "HERALD_DELIVERY_BACKOFF_BASE=1s", "HERALD_DELIVERY_MAX_ATTEMPTS=8",
		"HERALD_WORKER_CONCURRENCY=32")
	created := postJSON(t, f.apis[0]+"/v1/apps", testAdminToken, map[string]any{"name": "pacing"}, 201)
	key := created["api_key"].(string)
	for _, o := range []*overloadable{slow, fast} {
		subs, err := o.sim.MintN(perService, pushsim.Behavior{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(subs); i += 8 {
					postJSON(t, f.apis[i%2]+"/v1/subscriptions", key, map[string]any{"subscription": subs[i].ToJSON()}, 201)
				}
			})
		}
		wg.Wait()
	}

	start := time.Now()
	overloadEnds := start.Add(10 * time.Second)
	slow.until.Store(overloadEnds.UnixNano())
	id := postJSON(t, f.apis[0]+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "news"}}, 202)["id"].(string)

	// The other push service is unaffected: its messages are not held
	// with the slow one's (they all arrive before the slow one's first,
	// which waits for the overload's end).
	// The back-off is sampled meanwhile, its largest kept: each lasts the
	// Retry-After's 2 s and the next starts when a held message is sent
	// again and refused, so one scrape may fall between two.
	var backoff float64
	for (fast.sim.Stats().Delivered < perService || backoff <= 0) && time.Now().Before(overloadEnds) {
		backoff = max(backoff, scrapeSum(t, f.workers, "herald_push_service_backoff_seconds", `service="other"`))
		time.Sleep(100 * time.Millisecond)
	}

	deadline := start.Add(90 * time.Second)
	var n map[string]any
	for {
		n = getJSON(t, f.apis[1]+"/v1/notifications/"+id, key)
		if n["status"] == "completed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	took := time.Since(start)
	inside, all := slow.inside.Load(), slow.received.Load()
	fastStats, slowStats := fast.sim.Stats(), slow.sim.Stats()
	t.Logf("other service done in %s; slow service: %d requests during the 10 s overload (%d subscribers), %d in all, first delivery at %s; completed in %s; back-off seen %.1fs",
		fastStats.LastDelivery.Sub(start).Round(time.Millisecond), inside, perService, all,
		slowStats.FirstDelivery.Sub(start).Round(time.Millisecond), took.Round(time.Millisecond), backoff)
	if fastStats.Delivered != perService || !fastStats.LastDelivery.Before(slowStats.FirstDelivery) {
		t.Fatalf("the other push service's messages were held too: %d delivered, the last at %s, after the slow one's first at %s",
			fastStats.Delivered, fastStats.LastDelivery.Sub(start), slowStats.FirstDelivery.Sub(start))
	}
	if got, want := counts(n), fmt.Sprintf("targeted=%d delivered=%d gone=0 dead=0 pending=0", 2*perService, 2*perService); got != want {
		t.Fatalf("counts %s, want %s", got, want)
	}
	if slowStats.Delivered != perService || slowStats.Duplicates != 0 {
		t.Fatalf("slow service: %d delivered, %d duplicates", slowStats.Delivered, slowStats.Duplicates)
	}
	// Unpaced, every message is tried at least once during the overload
	// (and again after each Retry-After): perService requests or more.
	if inside > perService/2 {
		t.Fatalf("%d requests reached the overloaded service during the overload; the fleet did not back off (%d subscribers)", inside, perService)
	}
	if backoff <= 0 {
		t.Fatal("herald_push_service_backoff_seconds showed no back-off during the overload")
	}
	if paced := scrapeSum(t, f.workers, "herald_deliveries_waiting_total", `reason="paced"`); paced <= 0 {
		t.Fatal("herald_deliveries_waiting_total counted no paced message")
	}
}

// scrapeSum sums a metric's samples whose labels contain match over the
// workers' /metrics.
func scrapeSum(t *testing.T, workers []string, name, match string) float64 {
	t.Helper()
	var sum float64
	for _, w := range workers {
		for series, v := range scrape(t, w+"/metrics") {
			if strings.HasPrefix(series, name+"{") && strings.Contains(series, match) {
				sum += v
			}
		}
	}
	return sum
}
