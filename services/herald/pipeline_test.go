package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldpush/herald/pkg/bootstrap"
	"github.com/heraldpush/herald/pkg/envconf"
	"github.com/heraldpush/herald/pkg/pushsim"
	"github.com/heraldpush/herald/pkg/testkit"
	"github.com/heraldpush/herald/services/api/apiserver"
	"github.com/heraldpush/herald/services/worker/workerserver"
)

const testAdminToken = "pipeline-admin-token-0123456789"

// pipeline is Herald (API + worker) on real PostgreSQL and Redis, delivering
// to an in-process push service simulator.
type pipeline struct {
	t         *testing.T
	sim       *pushsim.Server
	apiURL    string
	apiKey    string
	workerURL string // health and metrics
	// apiMetricsURL is the API's own metrics address (HERALD_METRICS_ADDR),
	// "" when /metrics is on apiURL.
	apiMetricsURL string
}

func startPipeline(t *testing.T) *pipeline {
	t.Helper()
	return startPipelineWith(t, pushsim.Config{KeepPayloads: true}, nil)
}

// startPipelineWith starts Herald with the simulator configured by simCfg
// and settings overridden by env.
func startPipelineWith(t *testing.T, simCfg pushsim.Config, env map[string]string) *pipeline {
	t.Helper()
	push := pushsim.New(simCfg)
	ts := httptest.NewServer(push.Handler())
	t.Cleanup(ts.Close)
	push.SetPublicOrigin(ts.URL)

	settings := map[string]string{
		"HERALD_DATABASE_URL":          testkit.PostgresURL(t),
		"HERALD_REDIS_URL":             testkit.RedisURL(t),
		"HERALD_MASTER_KEY":            "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
		"HERALD_ADMIN_TOKEN":           testAdminToken,
		"HERALD_VAPID_SUBJECT":         "mailto:ops@example.com",
		"HERALD_PUSH_EXTRA_ORIGINS":    ts.URL,
		"HERALD_HTTP_ADDR":             "127.0.0.1:0",
		"HERALD_WORKER_ADDR":           "127.0.0.1:0",
		"HERALD_DELIVERY_MAX_ATTEMPTS": "4",
		"HERALD_DELIVERY_BACKOFF_BASE": "200ms",
		"HERALD_DELIVERY_BACKOFF_MAX":  "1s",
		"HERALD_WORKER_CONCURRENCY":    "64",
	}
	for k, v := range env {
		settings[k] = v
	}
	r := envconf.FromMap(settings)
	shared := bootstrap.ReadConfig(r)
	apiCfg := apiserver.ReadConfig(r, shared)
	workerCfg := workerserver.ReadConfig(r)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger(t)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := bootstrap.Open(ctx, shared, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DB.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	api, err := apiserver.New(apiCfg, p, log)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := workerserver.New(workerCfg, p, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { api.Run(ctx); done <- struct{}{} }()
	go func() { worker.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done; p.Close() })

	pl := &pipeline{t: t, sim: push, apiURL: api.URL(), workerURL: worker.URL(), apiMetricsURL: api.MetricsURL()}
	created := pl.call("POST", "/v1/apps", testAdminToken, map[string]any{"name": "pipeline"}, 201)
	pl.apiKey = created["api_key"].(string)
	return pl
}

func (p *pipeline) callWithHeader(method, path string, body any, want int, header, value string) map[string]any {
	p.t.Helper()
	return p.do(method, path, p.apiKey, body, want, header, value)
}

func (p *pipeline) call(method, path, token string, body any, want int) map[string]any {
	p.t.Helper()
	return p.do(method, path, token, body, want)
}

func (p *pipeline) do(method, path, token string, body any, want int, headers ...string) map[string]any {
	p.t.Helper()
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, p.apiURL+path, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		p.t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

// subscribe mints n simulated browsers with behavior and registers them.
func (p *pipeline) subscribe(n int, behavior string) []pushsim.Subscription {
	p.t.Helper()
	b, err := pushsim.ParseBehavior(behavior)
	if err != nil {
		p.t.Fatal(err)
	}
	subs, err := p.sim.MintN(n, b)
	if err != nil {
		p.t.Fatal(err)
	}
	// Eight at a time: a chaos test's 2,000 took most of its run one by one.
	var wg sync.WaitGroup
	errs := make(chan error, len(subs))
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				id, err := p.register(subs[i])
				if err != nil {
					errs <- err
					continue
				}
				subs[i].Behavior = b
				subs[i].ID = subs[i].ID + "|" + id // sim id | herald id
			}
		})
	}
	for i := range subs {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		p.t.Fatal(err)
	}
	return subs
}

// register posts one subscription and returns its id; safe to call from
// any goroutine (it does not fail the test itself).
func (p *pipeline) register(s pushsim.Subscription) (string, error) {
	data, _ := json.Marshal(map[string]any{"subscription": s.ToJSON()})
	req, _ := http.NewRequest("POST", p.apiURL+"/v1/subscriptions", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+p.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 {
		return "", fmt.Errorf("POST /v1/subscriptions: %d %v", resp.StatusCode, err)
	}
	return out.ID, nil
}

// waitCompleted polls the notification until it completes.
func (p *pipeline) waitCompleted(id string, timeout time.Duration) map[string]any {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := p.call("GET", "/v1/notifications/"+id, p.apiKey, nil, 200)
		if n["status"] == "completed" {
			return n
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("notification not completed after %s: %v", timeout, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func counts(n map[string]any) string {
	c := n["counts"].(map[string]any)
	return fmt.Sprintf("targeted=%v delivered=%v gone=%v dead=%v pending=%v",
		c["targeted"], c["delivered"], c["gone"], c["dead"], c["pending"])
}
