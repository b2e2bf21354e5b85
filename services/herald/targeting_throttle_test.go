package main

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/pushsim"
)

// A broadcast of 6,000 throttled to 3,000 a minute, delivered by two
// worker processes, takes 2 minutes ±10% (never more than its rate
// allows at any point), and an urgent notification sent meanwhile is
// delivered at once, not behind it.
func TestThrottledBroadcastAcrossTwoWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("takes two minutes")
	}
	t.Parallel()
	const total, perMinute = 6000, 3000
	push := pushsim.New(pushsim.Config{})
	ts := httptest.NewServer(push.Handler())
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)
	f := startFleet(t, 2, []string{ts.URL})
	key := postJSON(t, f.apis[0]+"/v1/apps", testAdminToken, map[string]any{"name": "throttle"}, 201)["api_key"].(string)
	subs, err := push.MintN(total, pushsim.Behavior{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < total; i += 8 {
				postJSON(t, f.apis[i%2]+"/v1/subscriptions", key, map[string]any{"subscription": subs[i].ToJSON(), "topics": []string{"digest"}}, 201)
			}
		})
	}
	wg.Wait()
	urgentSub, _ := push.MintN(1, pushsim.Behavior{})
	postJSON(t, f.apis[0]+"/v1/subscriptions", key, map[string]any{"subscription": urgentSub[0].ToJSON(), "user_id": "on-call"}, 201)

	start := time.Now()
	id := postJSON(t, f.apis[0]+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"topics": []string{"digest"}}, "notification": map[string]any{"title": "weekly digest"},
		"throttle_per_minute": perMinute}, 202)["id"].(string)

	// Half a minute in, an urgent notification to one user.
	time.Sleep(30 * time.Second)
	sent := time.Now()
	postJSON(t, f.apis[1]+"/v1/notifications", key, map[string]any{
		"target": map[string]any{"user_ids": []string{"on-call"}}, "notification": map[string]any{"title": "pager"}, "urgency": "high"}, 202)
	for {
		if st, _ := push.Subscription(urgentSub[0].ID); st.DeliveryCount > 0 {
			break
		}
		if time.Since(sent) > 5*time.Second {
			t.Fatalf("the urgent notification waited more than 5 s behind the throttled broadcast")
		}
		time.Sleep(20 * time.Millisecond)
	}
	urgentTook := time.Since(sent)

	// A minute in: at most a minute's worth (and the first burst) sent.
	time.Sleep(time.Until(start.Add(time.Minute)))
	atMinute := push.Stats().Delivered - 1 // less the urgent one
	deadline := start.Add(3 * time.Minute)
	var n map[string]any
	for {
		n = getJSON(t, f.apis[0]+"/v1/notifications/"+id, key)
		if n["status"] == "completed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	took := push.Stats().LastDelivery.Sub(start)
	t.Logf("6,000 at 3,000/min: last delivery after %s, %d after one minute; urgent delivered in %s", took.Round(100*time.Millisecond), atMinute, urgentTook.Round(time.Millisecond))
	if got := counts(n); got != "targeted=6000 delivered=6000 gone=0 dead=0 pending=0" {
		t.Fatalf("counts %s", got)
	}
	if took < 108*time.Second || took > 132*time.Second {
		t.Fatalf("the broadcast took %s, want 2 min ±10%%", took)
	}
	if atMinute > perMinute+perMinute/60+perMinute/20 {
		t.Fatalf("%d sent in the first minute at %d a minute", atMinute, perMinute)
	}
}
