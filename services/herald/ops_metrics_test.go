package main

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/heraldpush/herald/deploy"
	"github.com/heraldpush/herald/pkg/pushsim"
)

// A worker that delivered a broadcast shows on /metrics what happened:
// deliveries by result, the latency histogram, push responses by class,
// batches, and the queue, notification, subscription and dead-letter
// figures; the API counts its requests by route.
func TestOpsMetricsAfterBroadcast(t *testing.T) {
	t.Parallel()
	p, workerURL := startOpsPipeline(t, pushsim.Config{})
	p.subscribe(300, "ok")
	p.subscribe(20, "gone")
	p.subscribe(10, "bad_request")
	p.subscribe(10, "fail_first:1")
	created := p.call("POST", "/v1/notifications", p.apiKey, map[string]any{
		"target": map[string]any{"all": true}, "notification": map[string]any{"title": "metrics"}}, 202)
	n := p.waitCompleted(created["id"].(string), 2*time.Minute)
	if got, want := counts(n), "targeted=340 delivered=310 gone=20 dead=10 pending=0"; got != want {
		t.Fatalf("counts %s, want %s", got, want)
	}

	// Sends and batches are counted as they happen.
	want := map[string]float64{
		`herald_deliveries_total{result="delivered",service="other"}`:            310,
		`herald_deliveries_total{result="gone",service="other"}`:                 20,
		`herald_deliveries_total{result="failed",service="other"}`:               10,
		`herald_deliveries_total{result="retry",service="other"}`:                10,
		`herald_push_responses_total{class="2xx",service="other"}`:               310,
		`herald_push_responses_total{class="4xx",service="other"}`:               30,
		`herald_push_responses_total{class="5xx",service="other"}`:               10,
		`herald_push_request_duration_seconds_count{service="other"}`:            350,
		`herald_push_request_duration_seconds_bucket{service="other",le="30"}`:   350,
		`herald_push_request_duration_seconds_bucket{service="other",le="+Inf"}`: 350,
		`herald_batches_processed_total{queue="herald:bulk",result="ok"}`:        2, // the batch and its retry
	}
	// Queue and database figures are cached (at most 10 s on the worker).
	eventually := map[string]float64{
		`herald_queue_processed_total{queue="herald:bulk"}`:        3, // fan-out, batch, retry batch
		`herald_queue_failed_total{queue="herald:bulk"}`:           0,
		`herald_queue_size{queue="herald:bulk",state="pending"}`:   0,
		`herald_queue_size{queue="herald:bulk",state="active"}`:    0,
		`herald_queue_size{queue="herald:bulk",state="scheduled"}`: 0,
		`herald_queue_size{queue="herald:bulk",state="retry"}`:     0,
		`herald_queue_size{queue="herald:bulk",state="archived"}`:  0,
		`herald_queue_latency_seconds{queue="herald:bulk"}`:        0,
		`herald_notifications{status="completed"}`:                 1,
		`herald_notifications{status="sending"}`:                   0,
		`herald_subscriptions{status="active"}`:                    320,
		`herald_subscriptions{status="gone"}`:                      20,
		`herald_dead_letters`:                                      10,
		`herald_workers`:                                           3, // the worker's three job servers
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		got := scrape(t, workerURL+"/metrics")
		bad := mismatches(got, want)
		if len(bad) > 0 {
			t.Fatalf("worker metrics (counted as they happen):\n%s", strings.Join(bad, "\n"))
		}
		bad = mismatches(got, eventually)
		if len(bad) == 0 {
			if got[`herald_push_request_duration_seconds_sum{service="other"}`] <= 0 {
				t.Fatal("latency histogram sums to zero")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker metrics:\n%s", strings.Join(bad, "\n"))
		}
		time.Sleep(500 * time.Millisecond)
	}

	api := scrape(t, p.apiURL+"/metrics")
	if got := api[`herald_http_requests_total{code="201",method="POST",route="/v1/subscriptions"}`]; got != 340 {
		t.Fatalf("API counted %v subscription requests, want 340", got)
	}
	if got := api[`herald_http_request_duration_seconds_count{route="/v1/subscriptions"}`]; got != 340 {
		t.Fatalf("API latency histogram counted %v subscription requests, want 340", got)
	}
	if _, ok := api[`herald_queue_size{queue="herald:bulk",state="pending"}`]; !ok {
		t.Fatal("API /metrics lacks the queue figures")
	}
	// Every metric the dashboards, alerts and KEDA rely on (deploy.Metrics)
	// is exported, by the processes it names, with its labels.
	checkDeployMetrics(t, "worker", scrape(t, workerURL+"/metrics"), deploy.ProcessWorker)
	checkDeployMetrics(t, "API", api, deploy.ProcessAPI)

	// The fleet's delivery rates reach /v1/stats through Redis once the
	// workers' 5-second buckets are complete.
	deadline = time.Now().Add(30 * time.Second)
	for {
		stats := p.call("GET", "/v1/stats", p.apiKey, nil, 200)
		rates := stats["delivery_rates"].(map[string]any)
		if got := rates["delivered_per_second"].(float64) * 60; got > 309.99 && got < 310.01 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery rates never added up to 310 deliveries in the last minute: %v", rates)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func mismatches(got, want map[string]float64) []string {
	var bad []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			bad = append(bad, fmt.Sprintf("%s = %v (present %v), want %v", k, g, ok, v))
		}
	}
	sort.Strings(bad)
	return bad
}

// checkDeployMetrics: each family of deploy.Metrics meant for process (or
// for both) appears in a scrape, and its series carry exactly its labels.
func checkDeployMetrics(t *testing.T, what string, got map[string]float64, process deploy.Process) {
	t.Helper()
	families := map[string][]map[string]bool{} // series name -> label sets
	for key := range got {
		name, rest, _ := strings.Cut(key, "{")
		set := map[string]bool{}
		for _, pair := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
			if k, _, ok := strings.Cut(pair, "="); ok {
				set[k] = true
			}
		}
		families[name] = append(families[name], set)
	}
	for _, m := range deploy.Metrics {
		if m.Process != process && m.Process != deploy.ProcessBoth {
			continue
		}
		series, extra := m.Name, ""
		switch m.Type {
		case "histogram":
			series, extra = m.Name+"_bucket", "le"
		case "summary":
			extra = "quantile"
		}
		sets, ok := families[series]
		if !ok {
			t.Errorf("%s /metrics has no %s (deploy.Metrics lists it)", what, series)
			continue
		}
		want := append(append([]string{}, m.Labels...), extra)
		for _, set := range sets {
			for _, l := range want {
				if l != "" && !set[l] {
					t.Errorf("%s: %s series lack label %s", what, series, l)
				}
			}
			for l := range set {
				if !slices.Contains(want, l) {
					t.Errorf("%s: %s has label %s that deploy.Metrics does not list", what, series, l)
				}
			}
		}
	}
}

// HERALD_METRICS_ADDR moves the API's /metrics off the API's address (an
// Ingress to the API does not expose it) and HERALD_METRICS_TOKEN puts it
// behind a bearer token.
func TestAPIMetricsOwnAddressAndToken(t *testing.T) {
	const token = "scrape-token-0123456789abcdef"
	p := startPipelineWith(t, pushsim.Config{}, map[string]string{"HERALD_METRICS_ADDR": "127.0.0.1:0", "HERALD_METRICS_TOKEN": token})
	get := func(url, auth string) int {
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if p.apiMetricsURL == "" {
		t.Fatal("no metrics address")
	}
	if got := get(p.apiURL+"/metrics", token); got != http.StatusNotFound {
		t.Fatalf("/metrics on the API's address: %d, want 404", got)
	}
	if got := get(p.apiMetricsURL+"/metrics", ""); got != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d, want 401", got)
	}
	if got := get(p.apiMetricsURL+"/metrics", token); got != http.StatusOK {
		t.Fatalf("/metrics with the token: %d, want 200", got)
	}
}
