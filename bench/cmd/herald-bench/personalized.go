package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// personalizedResult compares a personalised broadcast (Liquid templates
// filled from each subscription's and its user's attributes) with plain ones, the same
// audience and worker count, run right before and right after it so the
// ratio compares neighbours on a noisy machine.
type personalizedResult struct {
	Workers             int       `json:"workers"`
	PlainPerSec         float64   `json:"plain_deliveries_per_second"` // mean of the plain rounds around it
	PlainRuns           []float64 `json:"plain_runs"`
	PersonalizedPerSec  float64   `json:"personalized_deliveries_per_second"`
	PersonalizedCPU1000 float64   `json:"personalized_worker_cpu_seconds_per_1000"`
	PlainCPU1000        float64   `json:"plain_worker_cpu_seconds_per_1000"`
	Ratio               float64   `json:"ratio"` // personalised / plain deliveries per second
}

// attributesOf is what the seed gives subscription i: the attributes the
// personalised broadcast's templates read (city from its user's own:
// userAttributesOf).
func attributesOf(i int) string {
	return fmt.Sprintf(`{"first_name":"Name%d","plan":"%s"}`, i, []string{"free", "pro"}[i%2])
}

// userOf is subscription i's user: two subscriptions a user, as users with
// a phone and a laptop have.
func userOf(i int) string { return fmt.Sprintf("bench-user-%d", i/2) }

// userAttributesOf is what the seed gives user u (the u-th): a city, and
// a first_name its subscriptions' own hide, so rendering reads both layers.
func userAttributesOf(u int) string {
	return fmt.Sprintf(`{"city":"City%d","first_name":"User%d"}`, u%50, u)
}

func personalizedBody() map[string]any {
	return map[string]any{
		"target": map[string]any{"all": true}, "ttl": 3600,
		"notification": map[string]any{
			"title": `Flash sale in {{ city | default: "your city" }}`,
			"body":  `{{ first_name | default: "Hi" }}, everything {% if plan == "pro" %}30%{% else %}20%{% endif %} off until midnight`,
			"url":   "https://bench.example/sale?who={{ first_name }}",
		},
	}
}

// runPersonalized runs plain, personalised, plain broadcasts with `workers`.
func (b *bench) runPersonalized(ctx context.Context, workers int, plainBefore *roundResult) (*personalizedResult, error) {
	slog.Info("personalised broadcast", "workers", workers)
	p, err := b.runRound(ctx, workers, personalizedBody())
	if err != nil {
		return nil, fmt.Errorf("personalised round: %w", err)
	}
	slog.Info("plain broadcast after the personalised one", "workers", workers)
	after, err := b.runRound(ctx, workers, broadcastBody(map[string]any{"all": true}))
	if err != nil {
		return nil, fmt.Errorf("plain round after the personalised one: %w", err)
	}
	r := &personalizedResult{Workers: workers, PersonalizedPerSec: p.DeliveriesPerSec, PersonalizedCPU1000: p.WorkerCPUPer1000,
		PlainRuns: []float64{plainBefore.DeliveriesPerSec, after.DeliveriesPerSec}}
	r.PlainPerSec = (plainBefore.DeliveriesPerSec + after.DeliveriesPerSec) / 2
	r.PlainCPU1000 = (plainBefore.WorkerCPUPer1000 + after.WorkerCPUPer1000) / 2
	if r.PlainPerSec > 0 {
		r.Ratio = r.PersonalizedPerSec / r.PlainPerSec
	}
	return r, nil
}

func (r *personalizedResult) print(out io.Writer) {
	fmt.Fprintf(out, "personalised broadcast (%d worker(s)): %.0f deliveries/s, %.3f CPU s/1000; plain around it %.0f deliveries/s (runs %.0f, %.0f), %.3f CPU s/1000; ratio %.2f\n",
		r.Workers, r.PersonalizedPerSec, r.PersonalizedCPU1000, r.PlainPerSec, r.PlainRuns[0], r.PlainRuns[1], r.PlainCPU1000, r.Ratio)
}
